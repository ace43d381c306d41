//  exit — the exit codes of heal's programs, named once.
//
//  sysexits.h values, spelled out (not every libc ships the header). A
//  check's own status (ok 0, warning 1, critical 2, unknown 3) is
//  severity_exit_code in event.h; these are the program's.

#ifndef HEAL_EXIT_H_INCLUDED
#define HEAL_EXIT_H_INCLUDED

#define HEAL_EX_OK           0
#define HEAL_EX_USAGE        64     //  EX_USAGE: bad command line
#define HEAL_EX_UNAVAILABLE  69     //  EX_UNAVAILABLE: a service did not answer
#define HEAL_EX_SOFTWARE     70     //  EX_SOFTWARE: internal or local failure
#define HEAL_EX_TEMPFAIL     75     //  EX_TEMPFAIL: busy, try later (another
                                    //  instance holds the state dir)
#define HEAL_EX_PROTOCOL     76     //  EX_PROTOCOL: malformed reply from a peer
#define HEAL_EX_CONFIG       78     //  EX_CONFIG: invalid configuration

#endif
