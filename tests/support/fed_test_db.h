// SPDX-License-Identifier: MIT
//
// fed_test_db.h: what the upgrade tests do to a database file: copy a
// committed fixture into a test's folder, and read its schema version.

#ifndef FED_TEST_DB_H
#define FED_TEST_DB_H

// Copies file `from` to `to` (replaced). 0, or -1 when either cannot be
// opened or written (said on stderr).
int fed_test_copy_file(const char *from, const char *to);

// Removes path and its -wal and -shm files, if any.
void fed_test_remove_db(const char *path);

// PRAGMA user_version of the sqlite file at path, opened read-only; -1
// when it cannot be read.
int fed_test_user_version(const char *path);

#endif // FED_TEST_DB_H
