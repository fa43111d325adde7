// SPDX-License-Identifier: MIT
//
// edge_series.c: the declared series of an edge collector and their file.

#include "edge_series.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fed/log.h"

#define SERIES_FILE_MAX (16u << 20)

fed_status
edge_series_init(edge_series *r, const char *dir, const char *component)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	r->component = component;
	size_t len = strlen(dir) + sizeof("/series.pb");
	if (len > 4096)
		return FED_INVALID_ARGUMENT;
	r->path = malloc(len);
	if (r->path == NULL)
		return FED_RESOURCE_EXHAUSTED;
	snprintf(r->path, len, "%s/series.pb", dir);
	return FED_OK;
}

void
edge_series_fini(edge_series *r)
{
	for (size_t i = 0; i < r->n; i++)
		enfed__v1__series_meta__free_unpacked(r->metas[i], NULL);
	free(r->metas);
	free(r->declared);
	free(r->path);
	pthread_mutex_destroy(&r->mu);
	memset(r, 0, sizeof(*r));
}

// A deep copy, through the wire format.
static Enfed__V1__SeriesMeta *
copy_meta(const Enfed__V1__SeriesMeta *m)
{
	size_t len = enfed__v1__series_meta__get_packed_size(m);
	uint8_t *buf = malloc(len > 0 ? len : 1);
	if (buf == NULL)
		return NULL;
	enfed__v1__series_meta__pack(m, buf);
	Enfed__V1__SeriesMeta *c
	    = enfed__v1__series_meta__unpack(NULL, len, buf);
	free(buf);
	return c;
}

static bool
known(const edge_series *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->metas[i]->id, id) == 0)
			return true;
	return false;
}

// Appends a copy (under the mutex).
static fed_status
push(edge_series *r, const Enfed__V1__SeriesMeta *m)
{
	if (r->n == r->cap) {
		size_t cap = r->cap == 0 ? 16 : r->cap * 2;
		Enfed__V1__SeriesMeta **metas
		    = realloc(r->metas, cap * sizeof(*metas));
		if (metas == NULL)
			return FED_RESOURCE_EXHAUSTED;
		r->metas = metas;
		bool *declared = realloc(r->declared, cap * sizeof(*declared));
		if (declared == NULL)
			return FED_RESOURCE_EXHAUSTED;
		r->declared = declared;
		r->cap = cap;
	}
	Enfed__V1__SeriesMeta *c = copy_meta(m);
	if (c == NULL)
		return FED_RESOURCE_EXHAUSTED;
	r->metas[r->n] = c;
	r->declared[r->n] = false;
	r->n++;
	return FED_OK;
}

static fed_status
write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t k = write(fd, buf, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return FED_INTERNAL;
		buf += k;
		len -= (size_t) k;
	}
	return FED_OK;
}

static fed_status
sync_dir(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return FED_RESOURCE_EXHAUSTED;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return FED_INTERNAL;
	int rc = fsync(fd);
	close(fd);
	return rc == 0 ? FED_OK : FED_INTERNAL;
}

// Writes the list to path.tmp and renames it over path (under the mutex).
static fed_status
save(edge_series *r)
{
	Enfed__V1__ListSeriesResponse list
	    = ENFED__V1__LIST_SERIES_RESPONSE__INIT;
	Enfed__V1__SeriesInfo *infos = calloc(r->n, sizeof(*infos));
	Enfed__V1__SeriesInfo **ptrs = calloc(r->n, sizeof(*ptrs));
	size_t len = 0;
	uint8_t *buf = NULL;
	fed_status st = FED_RESOURCE_EXHAUSTED;
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", r->path);
	if (infos == NULL || ptrs == NULL)
		goto out;
	for (size_t i = 0; i < r->n; i++) {
		enfed__v1__series_info__init(&infos[i]);
		infos[i].meta = r->metas[i];
		ptrs[i] = &infos[i];
	}
	list.series = ptrs;
	list.n_series = r->n;
	len = enfed__v1__list_series_response__get_packed_size(&list);
	buf = malloc(len > 0 ? len : 1);
	if (buf == NULL)
		goto out;
	enfed__v1__list_series_response__pack(&list, buf);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	st = fd < 0 ? FED_INTERNAL : write_all(fd, buf, len);
	if (fd >= 0 && st == FED_OK && fsync(fd) != 0)
		st = FED_INTERNAL;
	if (fd >= 0)
		close(fd);
	if (st == FED_OK && rename(tmp, r->path) != 0)
		st = FED_INTERNAL;
	if (st == FED_OK)
		st = sync_dir(r->path);
out:
	if (st != FED_OK)
		fed_log(FED_LOG_ERR, r->component, "writing %s: %s (%s)",
		    r->path, fed_status_name(st), strerror(errno));
	free(buf);
	free(ptrs);
	free(infos);
	return st;
}

fed_status
edge_series_add(edge_series *r, const Enfed__V1__SeriesMeta *meta)
{
	if (meta == NULL || meta->id == NULL || meta->id[0] == '\0')
		return FED_INVALID_ARGUMENT;
	pthread_mutex_lock(&r->mu);
	fed_status st = FED_OK;
	if (!known(r, meta->id)) {
		st = push(r, meta);
		r->dirty |= st == FED_OK;
	}
	pthread_mutex_unlock(&r->mu);
	return st;
}

fed_status
edge_series_save(edge_series *r)
{
	pthread_mutex_lock(&r->mu);
	fed_status st = FED_OK;
	if (r->dirty) {
		st = save(r);
		r->dirty = st != FED_OK;
	}
	pthread_mutex_unlock(&r->mu);
	return st;
}

static fed_status
read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return errno == ENOENT ? FED_NOT_FOUND : FED_INTERNAL;
	uint8_t *buf = malloc(SERIES_FILE_MAX);
	size_t n = buf != NULL ? fread(buf, 1, SERIES_FILE_MAX, f) : 0;
	fed_status st = buf == NULL ? FED_RESOURCE_EXHAUSTED
	    : ferror(f)             ? FED_INTERNAL
	                            : FED_OK;
	fclose(f);
	if (st != FED_OK) {
		free(buf);
		return st;
	}
	*out = buf;
	*len = n;
	return FED_OK;
}

fed_status
edge_series_load(edge_series *r)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	fed_status st = read_file(r->path, &buf, &len);
	if (st == FED_NOT_FOUND)
		return FED_OK;
	if (st != FED_OK) {
		fed_log(FED_LOG_ERR, r->component, "reading %s: %s", r->path,
		    fed_status_name(st));
		return st;
	}
	Enfed__V1__ListSeriesResponse *list
	    = enfed__v1__list_series_response__unpack(NULL, len, buf);
	free(buf);
	if (list == NULL) {
		fed_log(FED_LOG_WARNING, r->component,
		    "%s does not unpack: ignored (series are declared again "
		    "as they are met)",
		    r->path);
		return FED_OK;
	}
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < list->n_series && st == FED_OK; i++) {
		const Enfed__V1__SeriesMeta *m = list->series[i]->meta;
		if (m != NULL && m->id != NULL && m->id[0] != '\0'
		    && !known(r, m->id))
			st = push(r, m);
	}
	pthread_mutex_unlock(&r->mu);
	enfed__v1__list_series_response__free_unpacked(list, NULL);
	return st;
}

void
edge_series_mark_all(edge_series *r)
{
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->n; i++)
		r->declared[i] = false;
	pthread_mutex_unlock(&r->mu);
}

uint64_t
edge_series_n_declared(edge_series *r)
{
	pthread_mutex_lock(&r->mu);
	uint64_t n = r->n_declared;
	pthread_mutex_unlock(&r->mu);
	return n;
}

bool
edge_series_is_index(edge_series *r, const char *id)
{
	bool index = true;
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->metas[i]->id, id) == 0) {
			index = r->metas[i]->cumulative;
			break;
		}
	pthread_mutex_unlock(&r->mu);
	return index;
}

// The first undeclared series (its index in *i), or NULL. The meta is
// never freed before fini, so it may be used without the mutex.
static const Enfed__V1__SeriesMeta *
next_pending(edge_series *r, size_t *i)
{
	const Enfed__V1__SeriesMeta *m = NULL;
	pthread_mutex_lock(&r->mu);
	for (size_t k = 0; k < r->n && m == NULL; k++)
		if (!r->declared[k]) {
			m = r->metas[k];
			*i = k;
		}
	pthread_mutex_unlock(&r->mu);
	return m;
}

static fed_status
create(edge_series *r, fed_rpc_client *rpc, const Enfed__V1__SeriesMeta *m)
{
	Enfed__V1__CreateSeriesRequest req
	    = ENFED__V1__CREATE_SERIES_REQUEST__INIT;
	req.meta = (Enfed__V1__SeriesMeta *) m;
	ProtobufCMessage *rep = NULL;
	char err[256] = "";
	fed_status st = fed_rpc_call(rpc, &enfed__v1__series_store__descriptor,
	    "CreateSeries", &req.base, &rep, err, sizeof(err));
	protobuf_c_message_free_unpacked(rep, NULL);
	if (st == FED_OK) {
		fed_log(FED_LOG_DEBUG, r->component, "declared %s", m->id);
		return FED_OK;
	}
	if (st == FED_ALREADY_EXISTS || st == FED_INVALID_ARGUMENT) {
		fed_log(
		    st == FED_ALREADY_EXISTS ? FED_LOG_WARNING : FED_LOG_ERR,
		    r->component, "declaring %s: %s (%s)", m->id, err,
		    fed_status_name(st));
		return FED_OK;
	}
	if (st == FED_PERMISSION_DENIED || st == FED_RESOURCE_EXHAUSTED
	    || st == FED_FAILED_PRECONDITION) {
		// Final for this series (a writer's series quota reached, a
		// series this token may not create): its points will be
		// refused and go to the dead-letter spool; the other series
		// are not held back. Logged once a minute, since a broker's
		// topics may make many such series.
		fed_log_limited(&r->log_refused_ms, 60000, FED_LOG_ERR,
		    r->component,
		    "declaring %s: %s (%s); its points will be refused (this "
		    "line at most once a minute)",
		    m->id, err, fed_status_name(st));
		return FED_OK;
	}
	fed_log_limited(&r->log_ms, 60000, FED_LOG_WARNING, r->component,
	    "declaring %s: %s (%s); will retry", m->id, err,
	    fed_status_name(st));
	return st;
}

fed_status
edge_series_declare_pending(edge_series *r, fed_rpc_client *rpc)
{
	size_t i = 0, n = 0;
	const Enfed__V1__SeriesMeta *m;
	fed_status st = FED_OK;
	while (st == FED_OK && (m = next_pending(r, &i)) != NULL) {
		st = create(r, rpc, m);
		if (st != FED_OK)
			break;
		pthread_mutex_lock(&r->mu);
		r->declared[i] = true;
		r->n_declared++;
		pthread_mutex_unlock(&r->mu);
		n++;
	}
	if (n > 0)
		fed_log(FED_LOG_INFO, r->component,
		    "declared %zu series on the "
		    "node",
		    n);
	return st;
}
