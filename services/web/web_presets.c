// SPDX-License-Identifier: MIT
//
// web_presets.c: the saved comparisons, in one small text file.

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "web_presets.h"

static pthread_mutex_t presets_mu = PTHREAD_MUTEX_INITIALIZER;

int
web_preset_name_ok(const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;
	if (n == 0 || n > WEB_PRESET_NAME_MAX)
		return 0;
	// Forms are valid UTF-8 already (web_form.c); control characters
	// would break the file's lines.
	for (size_t i = 0; i < n; i++)
		if ((unsigned char) name[i] < 0x20 || name[i] == 0x7f)
			return 0;
	return 1;
}

// The query holds only the characters a URL query of ours has.
static int
query_ok(const char *q)
{
	size_t n = q != NULL ? strlen(q) : 0;
	if (n == 0 || n > WEB_PRESET_QUERY_MAX)
		return 0;
	return strspn(q,
	           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	           "0123456789-._~%&=+")
	    == n;
}

// One line into p; 0 when it does not parse.
static int
parse_line(char *line, web_preset *p)
{
	line[strcspn(line, "\r\n")] = '\0';
	char *t1 = strchr(line, '\t');
	char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
	if (t2 == NULL)
		return 0;
	*t1 = *t2 = '\0';
	if (!web_preset_name_ok(line) || strlen(t1 + 1) >= sizeof(p->author)
	    || !query_ok(t2 + 1))
		return 0;
	memcpy(p->name, line, strlen(line) + 1);
	memcpy(p->author, t1 + 1, strlen(t1 + 1) + 1);
	memcpy(p->query, t2 + 1, strlen(t2 + 1) + 1);
	return 1;
}

static void
load_locked(const char *path, web_preset *out, size_t max, size_t *n)
{
	*n = 0;
	FILE *f = path != NULL ? fopen(path, "r") : NULL;
	if (f == NULL)
		return;
	char line[WEB_PRESET_NAME_MAX + 65 + WEB_PRESET_QUERY_MAX + 8];
	while (*n < max && fgets(line, sizeof(line), f) != NULL)
		if (parse_line(line, &out[*n]))
			(*n)++;
	fclose(f);
}

fed_status
web_presets_load(const char *path, web_preset *out, size_t max, size_t *n)
{
	pthread_mutex_lock(&presets_mu);
	load_locked(path, out, max, n);
	pthread_mutex_unlock(&presets_mu);
	return FED_OK;
}

static fed_status
write_all(const char *path, const web_preset *list, size_t n, char *err,
    size_t err_len)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL) {
		snprintf(err, err_len, "cannot write %s", tmp);
		return FED_UNAVAILABLE;
	}
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\t%s\t%s\n", list[i].name, list[i].author,
		    list[i].query);
	int ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		snprintf(err, err_len, "cannot write %s", path);
		return FED_UNAVAILABLE;
	}
	return FED_OK;
}

fed_status
web_presets_save(const char *path, const web_preset *p, int admin, char *err,
    size_t err_len)
{
	if (path == NULL) {
		snprintf(err, err_len, "no presets file");
		return FED_UNAVAILABLE;
	}
	if (!web_preset_name_ok(p->name) || !query_ok(p->query)) {
		snprintf(err, err_len,
		    "name: 1 to 80 characters, without tabs or line breaks");
		return FED_INVALID_ARGUMENT;
	}
	web_preset *list = calloc(WEB_PRESETS_MAX, sizeof(*list));
	if (list == NULL)
		return FED_RESOURCE_EXHAUSTED;
	fed_status st = FED_OK;
	size_t n = 0, i = 0;
	pthread_mutex_lock(&presets_mu);
	load_locked(path, list, WEB_PRESETS_MAX, &n);
	while (i < n && strcmp(list[i].name, p->name) != 0)
		i++;
	if (i < n && !admin && strcmp(list[i].author, p->author) != 0) {
		snprintf(
		    err, err_len, "'%s' was saved by someone else", p->name);
		st = FED_PERMISSION_DENIED;
	} else if (i == n && n == WEB_PRESETS_MAX) {
		snprintf(err, err_len, "%d presets at most", WEB_PRESETS_MAX);
		st = FED_RESOURCE_EXHAUSTED;
	} else {
		list[i] = *p;
		st = write_all(path, list, i == n ? n + 1 : n, err, err_len);
	}
	pthread_mutex_unlock(&presets_mu);
	free(list);
	return st;
}

fed_status
web_presets_delete(const char *path, const char *name, const char *author,
    int admin, char *err, size_t err_len)
{
	if (path == NULL) {
		snprintf(err, err_len, "no presets file");
		return FED_UNAVAILABLE;
	}
	web_preset *list = calloc(WEB_PRESETS_MAX, sizeof(*list));
	if (list == NULL)
		return FED_RESOURCE_EXHAUSTED;
	fed_status st = FED_OK;
	size_t n = 0, i = 0;
	pthread_mutex_lock(&presets_mu);
	load_locked(path, list, WEB_PRESETS_MAX, &n);
	while (i < n && (name == NULL || strcmp(list[i].name, name) != 0))
		i++;
	if (i == n) {
		snprintf(err, err_len, "no saved comparison of that name");
		st = FED_NOT_FOUND;
	} else if (!admin
	    && (author == NULL || strcmp(list[i].author, author) != 0)) {
		snprintf(err, err_len, "'%s' was saved by someone else", name);
		st = FED_PERMISSION_DENIED;
	} else {
		memmove(&list[i], &list[i + 1], (n - i - 1) * sizeof(*list));
		st = write_all(path, list, n - 1, err, err_len);
	}
	pthread_mutex_unlock(&presets_mu);
	free(list);
	return st;
}
