//  init_platform — what `healctl init` finds differently per OS: the disks,
//  the user's own services (systemd user units, LaunchAgents), and how a
//  service is restarted the idempotent way (systemctl --user restart, brew
//  services restart). healctl/platform_linux.c and platform_darwin.c
//  implement the disks and describe the services (init_os); the logic that
//  reads that description is once, in init_services.c. The Makefile builds
//  the platform file for the OS at hand, so init.c never #ifdefs. Processes
//  come from the agent's platform interface (agent/platform.h), shared by
//  both.

#ifndef HEALCTL_INIT_PLATFORM_H_INCLUDED
#define HEALCTL_INIT_PLATFORM_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define INIT_MAX_FOUND   32         //  disks, services listed at most (each)
#define INIT_MAX_NAME    128        //  bytes of a unit name or label
#define INIT_MAX_PATH    1024       //  bytes of a mount point or plist path

typedef struct {
    char name [INIT_MAX_NAME];      //  unit ("web.service") or label
    char path [INIT_MAX_PATH];      //  its file (unit file, plist)
} init_service_t;

//  The mount points of local disks worth a free-space check ("/" first),
//  at most max, into paths. Returns the count (0 when none could be read).
size_t init_platform_disks (char (*paths) [INIT_MAX_PATH], size_t max);

//  The user's own services: systemd user units (Linux) or LaunchAgents
//  (macOS), heal's own left out, at most max, into out. Returns the count.
size_t init_platform_user_services (init_service_t *out, size_t max);

//  "systemd" or "launchd": the check kind of init_platform_user_services.
const char *init_platform_service_kind (void);

//  The idempotent restart command for service (a short name: "redis",
//  "ollama") when this user's service manager knows it, into buf. Returns
//  0, or -1 when none is known (example then gets a command to suggest in a
//  comment).
int init_platform_restart (const char *service, char *buf, size_t len,
                           char *example, size_t example_len);

//  --------------------------------------------------------------------------
//  Between init_services.c and the platform files: how the user's services
//  look on this OS. Each platform file defines init_os.

typedef struct {
    const char *kind;           //  the check kind: "systemd", "launchd"
    const char *suffix;         //  a service file's ending: ".service", ".plist"
    bool name_is_stem;          //  its name is the file's without suffix (a label)
    bool regular_only;          //  list regular files only
    //  The idempotent restart: restart SERVICE restart_suffix, when the file
    //  dir/managed SERVICE suffix says the service manager knows it.
    const char *restart;
    const char *restart_suffix;
    const char *managed;
    //  The user's service directory into buf: 0, or -1.
    int (*dir) (char *buf, size_t len);
    //  A file of that directory not to offer (heal's own, templates).
    bool (*skip) (const char *file);
    //  Another restart command for service from dir into buf (0), or -1 when
    //  none; NULL: none.
    int (*restart_other) (const char *dir, const char *service, char *buf, size_t len);
} init_os_t;

extern const init_os_t init_os;

//  Is file (a directory entry's name) one of the user's services: the
//  suffix, a name that fits, not skipped?
bool init_service_file (const char *file);

#endif
