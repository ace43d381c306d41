//  command — the agent's name for libheal's command runner (heal/command.h,
//  bus/command.c), which heal-notify uses too. The agent's files include it
//  by this name.

#ifndef HEAL_AGENT_COMMAND_H_INCLUDED
#define HEAL_AGENT_COMMAND_H_INCLUDED

#include "heal/command.h"

#endif
