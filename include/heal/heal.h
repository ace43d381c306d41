//  heal.h — umbrella header of libheal.
#ifndef HEAL_H_INCLUDED
#define HEAL_H_INCLUDED
#include "heal/util.h"
#include "heal/event.h"
#include "heal/topic.h"
#include "heal/exit.h"
#include "heal/bus.h"
#include "heal/control.h"
#include "heal/control_call.h"
#include "heal/config.h"
#include "heal/security.h"
#include "heal/http.h"
#include "heal/ollama.h"
#include "heal/strbuf.h"
#include "heal/listen.h"
#include "heal/redact.h"
#include "heal/cli.h"
#endif
