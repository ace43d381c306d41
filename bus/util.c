//  util — small helpers shared by the three binaries: parsing of durations,
//  sizes and rates, UTF-8 safety, atomic file writes, endpoints, paths.
//  Everything here is re-entrant except heal_hostname's one-time cache,
//  which is guarded by pthread_once.

#include "heal/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <curl/curl.h>

//  --------------------------------------------------------------------------
//  Numbers

//  Parse a run of decimal digits at *p into *value (no sign, no overflow).
//  Advances *p. Returns 0, or -1 when there are no digits or it overflows.
static int
s_parse_digits (const char **p, uint64_t *value)
{
    const char *s = *p;
    uint64_t v = 0;
    if (!isdigit ((unsigned char) *s))
        return -1;
    while (isdigit ((unsigned char) *s)) {
        unsigned d = (unsigned) (*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
        s++;
    }
    *p = s;
    *value = v;
    return 0;
}

//  Case-insensitive equality of two ASCII strings.
static bool
s_ieq (const char *a, const char *b)
{
    while (*a && *b) {
        if (tolower ((unsigned char) *a) != tolower ((unsigned char) *b))
            return false;
        a++, b++;
    }
    return *a == *b;
}

int
heal_parse_duration_ms (const char *text, int64_t *ms)
{
    if (!text || !ms)
        return -1;
    const char *p = text;
    uint64_t n;
    if (s_parse_digits (&p, &n))
        return -1;
    uint64_t unit;
    if (*p == 0 || s_ieq (p, "s") || s_ieq (p, "sec"))
        unit = 1000;
    else
    if (s_ieq (p, "ms"))
        unit = 1;
    else
    if (s_ieq (p, "m") || s_ieq (p, "min"))
        unit = 60 * 1000;
    else
    if (s_ieq (p, "h"))
        unit = 3600 * 1000;
    else
    if (s_ieq (p, "d"))
        unit = 86400 * 1000;
    else
        return -1;
    if (n > (uint64_t) INT64_MAX / unit)
        return -1;
    *ms = (int64_t) (n * unit);
    return 0;
}

//  Multiplier for a size suffix ("", "K", "KB", "KiB", ...), 0 when unknown.
static uint64_t
s_size_unit (const char *p)
{
    static const char *const units = "KMGT";
    if (*p == 0 || s_ieq (p, "b"))
        return 1;
    const char *u = strchr (units, toupper ((unsigned char) *p));
    if (!u || !*u)
        return 0;
    uint64_t mult = 1;
    for (const char *x = units; x <= u; x++)
        mult *= 1024;
    const char *rest = p + 1;
    if (*rest == 0 || s_ieq (rest, "b") || s_ieq (rest, "ib"))
        return mult;
    return 0;
}

int
heal_parse_size (const char *text, uint64_t *bytes)
{
    if (!text || !bytes)
        return -1;
    const char *p = text;
    uint64_t n;
    if (s_parse_digits (&p, &n))
        return -1;
    uint64_t unit = s_size_unit (p);
    if (unit == 0 || n > UINT64_MAX / unit)
        return -1;
    *bytes = n * unit;
    return 0;
}

int
heal_parse_size_or_percent (const char *text, uint64_t *bytes, double *percent,
                            bool *is_percent)
{
    if (!text || !bytes || !percent || !is_percent)
        return -1;
    size_t len = strlen (text);
    if (len > 1 && text [len - 1] == '%') {
        //  digits, optionally one '.' and more digits; 0..100
        const char *p = text;
        uint64_t whole, frac = 0;
        double scale = 1;
        if (s_parse_digits (&p, &whole))
            return -1;
        if (*p == '.') {
            p++;
            const char *start = p;
            if (s_parse_digits (&p, &frac) || p - start > 6)
                return -1;
            for (const char *x = start; x < p; x++)
                scale *= 10;
        }
        if (*p != '%' || p [1] != 0)
            return -1;
        double v = (double) whole + (double) frac / scale;
        if (whole > 100 || v > 100.0)
            return -1;
        *percent = v;
        *bytes = 0;
        *is_percent = true;
        return 0;
    }
    if (heal_parse_size (text, bytes))
        return -1;
    *percent = 0;
    *is_percent = false;
    return 0;
}

int
heal_parse_rate (const char *text, uint64_t *count, int64_t *window_ms)
{
    if (!text || !count || !window_ms)
        return -1;
    const char *p = text;
    uint64_t n;
    if (s_parse_digits (&p, &n) || *p != '/')
        return -1;
    p++;
    //  "50/h" or "50/2h": the window is a duration with an implied 1.
    int64_t window;
    if (isdigit ((unsigned char) *p)) {
        if (heal_parse_duration_ms (p, &window))
            return -1;
        //  a bare number after '/' would read as seconds; require a unit
        const char *q = p;
        while (isdigit ((unsigned char) *q))
            q++;
        if (*q == 0)
            return -1;
    }
    else {
        char buf [8];
        int len = snprintf (buf, sizeof buf, "1%s", p);
        if (len < 2 || (size_t) len >= sizeof buf
        ||  heal_parse_duration_ms (buf, &window))
            return -1;
    }
    if (window <= 0)
        return -1;
    *count = n;
    *window_ms = window;
    return 0;
}

int
heal_parse_bool (const char *text, bool *value)
{
    if (!text || !value)
        return -1;
    if (s_ieq (text, "true") || s_ieq (text, "yes") || s_ieq (text, "on")
    ||  strcmp (text, "1") == 0)
        *value = true;
    else
    if (s_ieq (text, "false") || s_ieq (text, "no") || s_ieq (text, "off")
    ||  strcmp (text, "0") == 0)
        *value = false;
    else
        return -1;
    return 0;
}

bool
heal_name_valid (const char *name)
{
    if (!name)
        return false;
    size_t i = 0;
    for (; name [i]; i++) {
        unsigned char c = (unsigned char) name [i];
        if (i >= 64 || !(isalnum (c) || c == '_' || c == '-'))
            return false;
    }
    return i >= 1;
}

//  --------------------------------------------------------------------------
//  Endpoints and URLs

//  Write a formatted message into err when err is given.
static void
s_err (char *err, size_t errlen, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_err (char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list args;
    va_start (args, fmt);
    vsnprintf (err, errlen, fmt, args);
    va_end (args);
}

//  Is host (no brackets) a syntactically valid host name or interface name?
static bool
s_hostname_valid (const char *host, size_t len)
{
    if (len == 0 || len > 253)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) host [i];
        if (!(isalnum (c) || c == '-' || c == '.' || c == '_'))
            return false;
    }
    return host [0] != '-' && host [0] != '.';
}

//  Split "host:port" of a tcp endpoint. host excludes [] for IPv6.
//  Returns 0 or -1 with err set.
static int
s_tcp_split (const char *address, char *host, size_t hostlen, char *port,
             size_t portlen, bool *ipv6, char *err, size_t errlen)
{
    const char *colon = strrchr (address, ':');
    if (!colon) {
        s_err (err, errlen, "tcp endpoint needs host:port");
        return -1;
    }
    const char *h = address;
    size_t hlen = (size_t) (colon - address);
    *ipv6 = false;
    if (hlen >= 2 && h [0] == '[' && h [hlen - 1] == ']') {
        h++;
        hlen -= 2;
        *ipv6 = true;
    }
    if (hlen == 0 || hlen >= hostlen) {
        s_err (err, errlen, "tcp endpoint has an empty or too long host");
        return -1;
    }
    memcpy (host, h, hlen);
    host [hlen] = 0;
    size_t plen = strlen (colon + 1);
    if (plen == 0 || plen >= portlen) {
        s_err (err, errlen, "tcp endpoint has an empty or too long port");
        return -1;
    }
    memcpy (port, colon + 1, plen + 1);
    return 0;
}

bool
heal_endpoint_valid (const char *endpoint, char *err, size_t errlen)
{
    if (!endpoint || !*endpoint) {
        s_err (err, errlen, "empty endpoint");
        return false;
    }
    if (strncmp (endpoint, "ipc://", 6) == 0) {
        const char *path = endpoint + 6;
        struct sockaddr_un sun;
        if (path [0] != '/') {
            s_err (err, errlen, "ipc path must be absolute (ipc:///dir/name)");
            return false;
        }
        if (strlen (path) >= sizeof sun.sun_path) {
            s_err (err, errlen, "ipc path longer than %zu bytes",
                   sizeof sun.sun_path - 1);
            return false;
        }
        for (const char *p = path; *p; p++)
            if ((unsigned char) *p < 0x20 || *p == 0x7f) {
                s_err (err, errlen, "ipc path has control characters");
                return false;
            }
        return true;
    }
    if (strncmp (endpoint, "inproc://", 9) == 0) {
        size_t len = strlen (endpoint + 9);
        if (len == 0 || len > 256) {
            s_err (err, errlen, "inproc name must be 1 to 256 bytes");
            return false;
        }
        return true;
    }
    if (strncmp (endpoint, "tcp://", 6) == 0) {
        char host [256], port [16];
        bool ipv6;
        if (s_tcp_split (endpoint + 6, host, sizeof host, port, sizeof port, &ipv6,
                         err, errlen))
            return false;
        if (ipv6) {
            struct in6_addr a6;
            if (inet_pton (AF_INET6, host, &a6) != 1) {
                s_err (err, errlen, "'%s' is not an IPv6 address", host);
                return false;
            }
        }
        else
        if (strcmp (host, "*") != 0 && !s_hostname_valid (host, strlen (host))) {
            s_err (err, errlen, "'%s' is not a valid host", host);
            return false;
        }
        if (strcmp (port, "*") != 0) {
            const char *p = port;
            uint64_t n;
            if (s_parse_digits (&p, &n) || *p || n == 0 || n > 65535) {
                s_err (err, errlen, "port '%s' is not 1-65535 or *", port);
                return false;
            }
        }
        return true;
    }
    s_err (err, errlen, "endpoint must start with ipc://, tcp:// or inproc://");
    return false;
}

//  Is host (no brackets) a loopback name or address?
static bool
s_host_is_loopback (const char *host)
{
    if (s_ieq (host, "localhost"))
        return true;
    struct in_addr a4;
    if (inet_pton (AF_INET, host, &a4) == 1)
        return (ntohl (a4.s_addr) >> 24) == 127;
    struct in6_addr a6;
    if (inet_pton (AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK (&a6);
    return false;
}

bool
heal_endpoint_is_local (const char *endpoint)
{
    if (!heal_endpoint_valid (endpoint, NULL, 0))
        return false;
    if (strncmp (endpoint, "ipc://", 6) == 0 || strncmp (endpoint, "inproc://", 9) == 0)
        return true;
    char host [256], port [16];
    bool ipv6;
    if (s_tcp_split (endpoint + 6, host, sizeof host, port, sizeof port, &ipv6,
                     NULL, 0))
        return false;
    return s_host_is_loopback (host);
}

bool
heal_url_is_loopback (const char *url)
{
    if (!url)
        return false;
    CURLU *h = curl_url ();
    if (!h)
        return false;
    bool loopback = false;
    char *host = NULL;
    if (curl_url_set (h, CURLUPART_URL, url, 0) == CURLUE_OK
    &&  curl_url_get (h, CURLUPART_HOST, &host, 0) == CURLUE_OK && host) {
        size_t len = strlen (host);
        if (len >= 2 && host [0] == '[' && host [len - 1] == ']') {
            host [len - 1] = 0;
            //  drop an IPv6 zone id if any
            char *zone = strchr (host + 1, '%');
            if (zone)
                *zone = 0;
            loopback = s_host_is_loopback (host + 1);
        }
        else
            loopback = s_host_is_loopback (host);
    }
    curl_free (host);
    curl_url_cleanup (h);
    return loopback;
}

//  --------------------------------------------------------------------------
//  UTF-8

//  Length of the valid UTF-8 sequence at s (at most len bytes), 0 if invalid.
//  Rejects overlong forms, surrogates and code points above U+10FFFF.
static size_t
s_utf8_seq (const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s [0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)      { n = 2; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; v = c & 0x07; min = 0x10000; }
    else
        return 0;
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s [i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s [i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

bool
heal_utf8_valid (const char *data, size_t len)
{
    if (!data)
        return false;
    const unsigned char *s = (const unsigned char *) data;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = s_utf8_seq (s + i, len - i, &cp);
        if (n == 0 || cp == 0)
            return false;
        i += n;
    }
    return true;
}

//  The shared body of heal_safe_string and heal_safe_text.
static char *
s_safe (const char *src, size_t len, size_t max, bool keep_newlines)
{
    if (!src)
        return NULL;
    //  worst case: each input byte becomes 3 output bytes (U+FFFD)
    size_t room = len < (SIZE_MAX - 1) / 3 && len * 3 < max ? len * 3 : max;
    if (room == SIZE_MAX)
        return NULL;
    char *out = (char *) malloc (room + 1);
    if (!out)
        return NULL;
    const unsigned char *s = (const unsigned char *) src;
    size_t i = 0, o = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = s_utf8_seq (s + i, len - i, &cp);
        if (n == 0) {
            if (o + 3 > room)
                break;
            out [o++] = (char) 0xEF;
            out [o++] = (char) 0xBF;
            out [o++] = (char) 0xBD;
            i++;
        }
        else
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
            if (o + 1 > room)
                break;
            if (cp == '\t' || (keep_newlines && cp == '\n'))
                out [o++] = (char) cp;
            else
                out [o++] = '?';
            i += n;
        }
        else {
            if (o + n > room)
                break;
            memcpy (out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    out [o] = 0;
    return out;
}

char *
heal_safe_string (const char *src, size_t len, size_t max)
{
    return s_safe (src, len, max, false);
}

char *
heal_safe_text (const char *src, size_t len, size_t max)
{
    return s_safe (src, len, max, true);
}

//  --------------------------------------------------------------------------
//  Files

static _Atomic unsigned s_tmp_counter;

int
heal_write_atomic (const char *path, const void *data, size_t size, int mode)
{
    if (!path || (!data && size))
        return -1;
    size_t plen = strlen (path);
    if (plen == 0 || plen > PATH_MAX - 40) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char tmp [PATH_MAX];
    snprintf (tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long) getpid (),
              s_tmp_counter++);
    int fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t) mode);
    if (fd < 0)
        return -1;
    int saved;
    if (fchmod (fd, (mode_t) mode))
        goto failed;
    const char *p = (const char *) data;
    size_t left = size;
    while (left > 0) {
        ssize_t n = write (fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto failed;
        }
        p += n;
        left -= (size_t) n;
    }
    if (fsync (fd))
        goto failed;
    if (close (fd)) {
        fd = -1;
        goto failed;
    }
    fd = -1;
    if (rename (tmp, path))
        goto failed;

    //  fsync the directory so the rename itself is durable
    char dir [PATH_MAX];
    const char *slash = strrchr (path, '/');
    if (!slash)
        snprintf (dir, sizeof dir, ".");
    else
    if (slash == path)
        snprintf (dir, sizeof dir, "/");
    else
        snprintf (dir, sizeof dir, "%.*s", (int) (slash - path), path);
    int dfd = open (dir, O_RDONLY | O_CLOEXEC);
    if (dfd >= 0) {
        //  Some file systems refuse fsync on a directory (EINVAL): the data
        //  is written and renamed, which is the part that matters.
        if (fsync (dfd) && errno != EINVAL && errno != EBADF) {
            saved = errno;
            close (dfd);
            errno = saved;
            return -1;
        }
        close (dfd);
    }
    return 0;

failed:
    saved = errno;
    if (fd >= 0)
        close (fd);
    unlink (tmp);
    errno = saved;
    return -1;
}

char *
heal_read_file (const char *path, size_t max, size_t *size)
{
    if (!path || max >= SIZE_MAX - 1) {
        errno = EINVAL;
        return NULL;
    }
    //  O_NONBLOCK: opening a FIFO must not hang; we refuse non-regular files.
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat (fd, &st)) {
        int saved = errno;
        close (fd);
        errno = saved;
        return NULL;
    }
    if (!S_ISREG (st.st_mode)) {
        close (fd);
        errno = S_ISDIR (st.st_mode) ? EISDIR : EINVAL;
        return NULL;
    }
    if ((uint64_t) st.st_size > (uint64_t) max) {
        close (fd);
        errno = EFBIG;
        return NULL;
    }
    //  Size can change under us (and /proc files say 0): read up to max + 1.
    size_t cap = (size_t) st.st_size + 1;
    if (cap > max + 1)
        cap = max + 1;
    if (cap < 4096 && max + 1 > 4096)
        cap = 4096;
    char *buf = (char *) malloc (cap + 1);
    size_t used = 0;
    while (buf) {
        if (used == cap) {
            if (cap >= max + 1)
                break;
            size_t next = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *bigger = (char *) realloc (buf, next + 1);
            if (!bigger) {
                free (buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap = next;
        }
        ssize_t n = read (fd, buf + used, cap - used);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int saved = errno;
            free (buf);
            close (fd);
            errno = saved;
            return NULL;
        }
        if (n == 0)
            break;
        used += (size_t) n;
    }
    close (fd);
    if (!buf) {
        errno = ENOMEM;
        return NULL;
    }
    if (used > max) {
        free (buf);
        errno = EFBIG;
        return NULL;
    }
    buf [used] = 0;
    if (size)
        *size = used;
    return buf;
}

int
heal_mkdir_p (const char *path, int mode)
{
    if (!path || !*path)
        return -1;
    size_t len = strlen (path);
    if (len >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char buf [PATH_MAX];
    memcpy (buf, path, len + 1);
    //  strip trailing slashes (keep "/")
    while (len > 1 && buf [len - 1] == '/')
        buf [--len] = 0;
    for (size_t i = 1; i <= len; i++) {
        if (buf [i] != '/' && buf [i] != 0)
            continue;
        char saved = buf [i];
        buf [i] = 0;
        if (mkdir (buf, (mode_t) mode) && errno != EEXIST)
            return -1;
        struct stat st;
        if (stat (buf, &st))
            return -1;
        if (!S_ISDIR (st.st_mode)) {
            errno = ENOTDIR;
            return -1;
        }
        buf [i] = saved;
    }
    return 0;
}

//  Home directory of the effective user: $HOME, else the password database.
//  Returns 0 with the path in buf, or -1.
static int
s_home (char *buf, size_t len)
{
    const char *home = getenv ("HOME");
    if (home && home [0] == '/') {
        if ((size_t) snprintf (buf, len, "%s", home) >= len)
            return -1;
        return 0;
    }
    struct passwd pw, *result = NULL;
    char pwbuf [4096];
    if (getpwuid_r (geteuid (), &pw, pwbuf, sizeof pwbuf, &result) || !result
    ||  !pw.pw_dir || pw.pw_dir [0] != '/')
        return -1;
    if ((size_t) snprintf (buf, len, "%s", pw.pw_dir) >= len)
        return -1;
    return 0;
}

//  Create dir 0700 if absent and check it is ours and closed to others.
//  Returns 0, or -1 with a message on stderr.
static int
s_private_dir (const char *dir)
{
    if (mkdir (dir, 0700) && errno != EEXIST) {
        fprintf (stderr, "heal: runtime dir %s: %s\n", dir, strerror (errno));
        return -1;
    }
    struct stat st;
    if (lstat (dir, &st)) {
        fprintf (stderr, "heal: runtime dir %s: %s\n", dir, strerror (errno));
        return -1;
    }
    if (!S_ISDIR (st.st_mode)) {
        fprintf (stderr, "heal: runtime dir %s: not a directory\n", dir);
        return -1;
    }
    if (st.st_uid != geteuid ()) {
        fprintf (stderr, "heal: runtime dir %s: owned by uid %ld, not by us (%ld): "
                 "refusing it\n", dir, (long) st.st_uid, (long) geteuid ());
        return -1;
    }
    if (st.st_mode & 077) {
        fprintf (stderr, "heal: runtime dir %s: open to group or others (mode %03o): "
                 "chmod 700 %s\n", dir, (unsigned) (st.st_mode & 0777), dir);
        return -1;
    }
    return 0;
}

char *
heal_runtime_dir (void)
{
    char dir [PATH_MAX];
    const char *base = NULL;
    struct stat st;
#if defined (__APPLE__)
    //  The per-user temp dir that follows the uid, not $TMPDIR: sudo, cron and
    //  nix/direnv shells change or unset TMPDIR, and healctl or the diagnoser
    //  would then look for the agent's sockets in another directory.
    char user_tmp [PATH_MAX];
    size_t user_len = confstr (_CS_DARWIN_USER_TEMP_DIR, user_tmp, sizeof user_tmp);
    if (user_len > 1 && user_len <= sizeof user_tmp)
        base = user_tmp;
#else
    base = getenv ("XDG_RUNTIME_DIR");
#endif
    //  Keep ipc paths short: sockets are limited to 104 bytes on macOS
    //  (/var/folders/xx/<28 chars>/T/ is 49).
    if (base && base [0] == '/' && strlen (base) < 64
    &&  stat (base, &st) == 0 && S_ISDIR (st.st_mode)) {
        size_t blen = strlen (base);
        while (blen > 1 && base [blen - 1] == '/')
            blen--;
        snprintf (dir, sizeof dir, "%.*s/heal", (int) blen, base);
    }
    else
        snprintf (dir, sizeof dir, "/tmp/heal-%ld", (long) geteuid ());
    if (s_private_dir (dir))
        return NULL;
    return strdup (dir);
}

char *
heal_default_state_dir (void)
{
    char dir [PATH_MAX];
    char home [PATH_MAX];
#if defined (__APPLE__)
    if (s_home (home, sizeof home))
        return NULL;
    if ((size_t) snprintf (dir, sizeof dir, "%s/Library/Application Support/heal",
                           home) >= sizeof dir)
        return NULL;
#else
    const char *xdg = getenv ("XDG_STATE_HOME");
    if (xdg && xdg [0] == '/') {
        if ((size_t) snprintf (dir, sizeof dir, "%s/heal", xdg) >= sizeof dir)
            return NULL;
    }
    else {
        if (s_home (home, sizeof home))
            return NULL;
        if ((size_t) snprintf (dir, sizeof dir, "%s/.local/state/heal", home)
            >= sizeof dir)
            return NULL;
    }
#endif
    return strdup (dir);
}

//  --------------------------------------------------------------------------
//  Host and time

static char s_hostname_buf [256];
static pthread_once_t s_hostname_once = PTHREAD_ONCE_INIT;

static void
s_hostname_init (void)
{
    char buf [256] = "";
    if (gethostname (buf, sizeof buf - 1))
        buf [0] = 0;
    buf [sizeof buf - 1] = 0;
    char *dot = strchr (buf, '.');
    if (dot)
        *dot = 0;
    bool ok = buf [0] != 0;
    for (char *p = buf; *p; p++)
        if (!(isalnum ((unsigned char) *p) || *p == '-' || *p == '_'))
            ok = false;
    snprintf (s_hostname_buf, sizeof s_hostname_buf, "%s", ok ? buf : "localhost");
}

const char *
heal_hostname (void)
{
    pthread_once (&s_hostname_once, s_hostname_init);
    return s_hostname_buf;
}

int64_t
heal_monotonic_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t
heal_edit_distance (const char *a, const char *b)
{
    if (!a || !b)
        return SIZE_MAX;
    size_t la = strlen (a), lb = strlen (b);
    //  bounded: names and keys are short; longer input is compared truncated
    if (la > 256)
        la = 256;
    if (lb > 256)
        lb = 256;
    size_t row [257], prev [257];
    for (size_t j = 0; j <= lb; j++)
        prev [j] = j;
    for (size_t i = 1; i <= la; i++) {
        row [0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a [i - 1] == b [j - 1] ? 0 : 1;
            size_t best = prev [j] + 1;
            if (row [j - 1] + 1 < best)
                best = row [j - 1] + 1;
            if (prev [j - 1] + cost < best)
                best = prev [j - 1] + cost;
            row [j] = best;
        }
        memcpy (prev, row, (lb + 1) * sizeof (size_t));
    }
    return prev [lb];
}
