// SPDX-License-Identifier: MIT
//
// fed_test_db.c: database files for the upgrade tests (fed_test_db.h).

#include "fed_test_db.h"

#include <stdio.h>
#include <unistd.h>

#include <sqlite3.h>

int
fed_test_copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb");
	FILE *out = in != NULL ? fopen(to, "wb") : NULL;
	int rc = in != NULL && out != NULL ? 0 : -1;
	char buf[65536];
	size_t n;
	while (rc == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (in != NULL)
		fclose(in);
	if (out != NULL && fclose(out) != 0)
		rc = -1;
	if (rc != 0)
		fprintf(stderr, "cannot copy %s to %s\n", from, to);
	return rc;
}

void
fed_test_remove_db(const char *path)
{
	static const char *const sfx[] = {"", "-wal", "-shm"};
	char p[4200];
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
}

int
fed_test_user_version(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int v = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
	    && sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL)
	        == SQLITE_OK
	    && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}
