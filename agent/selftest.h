//  selftest — `heal-agent --selftest`: every platform call heal depends on,
//  exercised for real on this machine (docs/macos.md).

#ifndef HEAL_SELFTEST_H_INCLUDED
#define HEAL_SELFTEST_H_INCLUDED

#include <stdio.h>

#define SELFTEST_WAIT_MS     5000       //  one event (an exit, a spawn) at most
#define SELFTEST_CMD_MS      10000      //  one launchctl/systemctl call at most
#define SELFTEST_MAX_RAW     1024       //  bytes of raw values per fact line
#define SELFTEST_MAX_ECHO    80         //  lines of a command's output echoed

//  Run every fact that applies to this platform, one line each on out:
//  "pass|fail|skip NAME  raw values [-- why]", then a summary. Returns 0 when
//  nothing failed, 1 otherwise. Blocks for a few seconds; on macOS it loads
//  and unloads a throwaway LaunchAgent (dev.heal.selftest.<pid>).
int selftest_run (FILE *out);

#endif
