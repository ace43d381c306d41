//  incident_file — state_dir/incidents.jsonl: one JSON line per closed
//  incident, appended once, in the order incidents close (so ids, which are
//  given at close, grow down the file). Bounded by size and age: the file
//  rotates to incidents.jsonl.1, .2, ... past INCIDENT_FILE_MAX bytes; at most
//  INCIDENT_FILES rotated files are kept, except that a file written in the
//  last INCIDENT_WEEK_MS is never dropped (up to 2 x INCIDENT_FILES), and a
//  file last written more than INCIDENT_KEEP_MS ago is dropped.
//
//  No agent state here: paths and lines in, lines out (bench/history.c
//  uses it directly).

#ifndef HEAL_INCIDENT_FILE_H_INCLUDED
#define HEAL_INCIDENT_FILE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INCIDENT_FILE_MAX   (1024 * 1024)           //  one file, bytes
#define INCIDENT_FILES      8                       //  rotated files kept
#define INCIDENT_KEEP_MS    (90LL * 86400 * 1000)   //  retention by age
#define INCIDENT_WEEK_MS    (7LL * 86400 * 1000)    //  never dropped by size
#define INCIDENT_MAX_LINE   (64 * 1024)             //  one record, bytes

//  Append line (len bytes, no newline: one is added) to path, rotating first
//  when it would pass INCIDENT_FILE_MAX. now: wall ms (for age). 0 or -1.
int incident_file_append (const char *path, const char *line, size_t len, int64_t now);

//  Called for each line, newest first (line [len] == 0; the buffer may be
//  modified); return false to stop.
typedef bool (incident_file_fn) (char *line, size_t len, void *arg);

//  Visit the records of path, then path.1, path.2, ..., newest first.
void incident_file_scan_back (const char *path, incident_file_fn *fn, void *arg);

//  The id at the start of a record line ({"id":N,...}), or -1.
int64_t incident_file_line_id (const char *line);

#endif
