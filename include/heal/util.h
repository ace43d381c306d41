//  util — umbrella of the small helpers shared by the three binaries, one
//  header per concern: parse (durations, sizes, rates, names), endpoint
//  (ZeroMQ endpoints, URLs), utf8 (validation and repair), file (atomic
//  writes, bounded reads, mkdir -p), dirs (runtime and state dirs), host
//  (host name, clock), suggest (edit distance).

#ifndef HEAL_UTIL_H_INCLUDED
#define HEAL_UTIL_H_INCLUDED

#include "heal/parse.h"
#include "heal/endpoint.h"
#include "heal/utf8.h"
#include "heal/file.h"
#include "heal/dirs.h"
#include "heal/host.h"
#include "heal/suggest.h"

#define HEAL_VERSION "0.1.0"

#endif
