#ifndef SURGEWATCH_CSQLITE_SHIM_H
#define SURGEWATCH_CSQLITE_SHIM_H
// The system SQLite (libsqlite3-dev), used directly: see SurgeStore/SQLiteDatabase.swift for why.
#include <sqlite3.h>
#endif
