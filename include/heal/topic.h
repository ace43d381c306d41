//  topic — the bus topics (SPEC "Bus", schemas/bus.md), named once.
//
//  A subscriber filters by prefix, so the prefixes end where a filter may stop:
//  "heal.check." + <severity> + "." + <check>, "heal.alert." + <check>.
//  String literals, so they concatenate: TOPIC_CHECK "critical.".

#ifndef HEAL_TOPIC_H_INCLUDED
#define HEAL_TOPIC_H_INCLUDED

#define TOPIC_PREFIX     "heal."            //  every topic
#define TOPIC_CHECK      "heal.check."      //  + <severity>.<check>
#define TOPIC_ALERT      "heal.alert."      //  + <check>
#define TOPIC_CYCLE      "heal.cycle"
#define TOPIC_DIAGNOSIS  "heal.diagnosis"
#define TOPIC_AGENT      "heal.agent"

//  Length of a topic constant, counted by the compiler.
#define TOPIC_LEN(topic) (sizeof (topic) - 1)

#endif
