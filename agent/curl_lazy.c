//  curl_lazy — libcurl loaded on first use, so the agent pays for it only when
//  a check speaks HTTP (http and ollama kinds).
//
//  Debian's libcurl brings some forty libraries with it (TLS, SSH, LDAP,
//  Kerberos, RTMP, IDN...). Mapping them costs about 5 MB of resident memory
//  in a process that may never make a request: more than the rest of the
//  agent (bench/agent.sh, peak RSS of one cycle of 100 checks: 8.9 MB lazy,
//  14.1 MB linked). With HEAL_CURL_LAZY (the Makefile's default on Linux)
//  heal-agent is linked without -lcurl and this file defines the libcurl
//  functions the agent's copy of libheal calls: libheal's HTTP client
//  (bus/http.c, the one place that runs transfers) and curl's URL parser
//  (config validation: curl_url*, curl_free). The first call dlopen()s
//  libcurl.so.4 and every call forwards to it. When the library cannot be
//  loaded, each function fails the way libcurl itself reports failure (NULL
//  handle, CURLE_FAILED_INIT...) and curl_easy_strerror says why, so the
//  check ends `unknown` with that reason. heal-diagnoser and healctl link
//  libcurl normally; a function libheal starts to call must be added here
//  (the agent's link fails until it is).
//
//  On macOS libcurl lives in the shared cache that every process maps anyway:
//  the agent links it directly and this file is empty.

#if defined (HEAL_CURL_LAZY)

#define CURL_DISABLE_TYPECHECK  //  curl_easy_setopt as a plain function
//  curl_url_get's handle became const in curl 8; take no header's word for it.
#define curl_url_get s_header_curl_url_get
#include <curl/curl.h>
#undef curl_url_get

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#if defined (__APPLE__)
#   define CURL_LAZY_SONAME "libcurl.4.dylib"
#else
#   define CURL_LAZY_SONAME "libcurl.so.4"
#endif

CURLUcode curl_url_get (CURLU *handle, CURLUPart what, char **part, unsigned int flags);

typedef void (*s_any_fn) (void);

static struct {
    CURLcode (*global_init) (long);
    CURL *(*easy_init) (void);
    CURLcode (*easy_setopt) (CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo) (CURL *, CURLINFO, ...);
    void (*easy_cleanup) (CURL *);
    void (*easy_reset) (CURL *);
    const char *(*easy_strerror) (CURLcode);
    void (*free_) (void *);
    struct curl_slist *(*slist_append) (struct curl_slist *, const char *);
    void (*slist_free_all) (struct curl_slist *);
    CURLM *(*multi_init) (void);
    CURLMcode (*multi_add_handle) (CURLM *, CURL *);
    CURLMcode (*multi_remove_handle) (CURLM *, CURL *);
    CURLMcode (*multi_perform) (CURLM *, int *);
    CURLMcode (*multi_poll) (CURLM *, struct curl_waitfd [], unsigned int, int, int *);
    CURLMsg *(*multi_info_read) (CURLM *, int *);
    CURLMcode (*multi_wakeup) (CURLM *);
    CURLMcode (*multi_cleanup) (CURLM *);
    CURLU *(*url) (void);
    void (*url_cleanup) (CURLU *);
    CURLUcode (*url_set) (CURLU *, CURLUPart, const char *, unsigned int);
    CURLUcode (*url_get) (CURLU *, CURLUPart, char **, unsigned int);
    time_t (*getdate) (const char *, const time_t *);
} s_api;

static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static int s_loaded;                //  1 once every symbol was found
static char s_error [256];          //  why not, for curl_easy_strerror

//  dlsym returns an object pointer; a function pointer of the right type is
//  what the library exported under that name (POSIX guarantees the round trip).
static int
s_sym (void *lib, const char *name, void *slot)
{
    void *p = dlsym (lib, name);
    if (!p) {
        snprintf (s_error, sizeof s_error, "libcurl could not be loaded: %s lacks %s",
                  CURL_LAZY_SONAME, name);
        return -1;
    }
    memcpy (slot, &p, sizeof (s_any_fn));
    return 0;
}

static void
s_load (void)
{
    void *lib = dlopen (CURL_LAZY_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror ();
        snprintf (s_error, sizeof s_error, "libcurl could not be loaded: %s",
                  why ? why : CURL_LAZY_SONAME);
        return;
    }
    //  Never dlclose: handles and callbacks may outlive any one check.
    if (s_sym (lib, "curl_global_init", &s_api.global_init)
    ||  s_sym (lib, "curl_easy_init", &s_api.easy_init)
    ||  s_sym (lib, "curl_easy_setopt", &s_api.easy_setopt)
    ||  s_sym (lib, "curl_easy_getinfo", &s_api.easy_getinfo)
    ||  s_sym (lib, "curl_easy_cleanup", &s_api.easy_cleanup)
    ||  s_sym (lib, "curl_easy_reset", &s_api.easy_reset)
    ||  s_sym (lib, "curl_easy_strerror", &s_api.easy_strerror)
    ||  s_sym (lib, "curl_free", &s_api.free_)
    ||  s_sym (lib, "curl_slist_append", &s_api.slist_append)
    ||  s_sym (lib, "curl_slist_free_all", &s_api.slist_free_all)
    ||  s_sym (lib, "curl_multi_init", &s_api.multi_init)
    ||  s_sym (lib, "curl_multi_add_handle", &s_api.multi_add_handle)
    ||  s_sym (lib, "curl_multi_remove_handle", &s_api.multi_remove_handle)
    ||  s_sym (lib, "curl_multi_perform", &s_api.multi_perform)
    ||  s_sym (lib, "curl_multi_poll", &s_api.multi_poll)
    ||  s_sym (lib, "curl_multi_info_read", &s_api.multi_info_read)
    ||  s_sym (lib, "curl_multi_wakeup", &s_api.multi_wakeup)
    ||  s_sym (lib, "curl_multi_cleanup", &s_api.multi_cleanup)
    ||  s_sym (lib, "curl_url", &s_api.url)
    ||  s_sym (lib, "curl_url_cleanup", &s_api.url_cleanup)
    ||  s_sym (lib, "curl_url_set", &s_api.url_set)
    ||  s_sym (lib, "curl_url_get", &s_api.url_get)
    ||  s_sym (lib, "curl_getdate", &s_api.getdate))
        return;
    s_loaded = 1;
}

static int
s_ready (void)
{
    pthread_once (&s_once, s_load);
    return s_loaded;
}

time_t
curl_getdate (const char *text, const time_t *unused)
{
    return s_ready () ? s_api.getdate (text, unused) : (time_t) -1;
}

CURLcode
curl_global_init (long flags)
{
    return s_ready () ? s_api.global_init (flags) : CURLE_FAILED_INIT;
}

CURL *
curl_easy_init (void)
{
    return s_ready () ? s_api.easy_init () : NULL;
}

//  The one variadic argument is forwarded with the type its option's number
//  says (curl.h's CURLOPTTYPE_* ranges, the rule libcurl itself reads it by).
CURLcode
curl_easy_setopt (CURL *curl, CURLoption option, ...)
{
    if (!s_ready ())
        return CURLE_FAILED_INIT;
    va_list ap;
    va_start (ap, option);
    CURLcode rc;
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = s_api.easy_setopt (curl, option, va_arg (ap, long));
    else
    if (option < CURLOPTTYPE_FUNCTIONPOINT)
        rc = s_api.easy_setopt (curl, option, va_arg (ap, void *));
    else
    if (option < CURLOPTTYPE_OFF_T)
        rc = s_api.easy_setopt (curl, option, va_arg (ap, s_any_fn));
    else
    if (option < CURLOPTTYPE_BLOB)
        rc = s_api.easy_setopt (curl, option, va_arg (ap, curl_off_t));
    else
        rc = s_api.easy_setopt (curl, option, va_arg (ap, void *));
    va_end (ap);
    return rc;
}

//  Every CURLINFO takes a pointer to where the answer goes.
CURLcode
curl_easy_getinfo (CURL *curl, CURLINFO info, ...)
{
    if (!s_ready ())
        return CURLE_FAILED_INIT;
    va_list ap;
    va_start (ap, info);
    CURLcode rc = s_api.easy_getinfo (curl, info, va_arg (ap, void *));
    va_end (ap);
    return rc;
}

void
curl_easy_cleanup (CURL *curl)
{
    if (s_ready ())
        s_api.easy_cleanup (curl);
}

void
curl_easy_reset (CURL *curl)
{
    if (s_ready ())
        s_api.easy_reset (curl);
}

const char *
curl_easy_strerror (CURLcode code)
{
    return s_ready () ? s_api.easy_strerror (code) : s_error;
}

void
curl_free (void *p)
{
    if (s_ready ())
        s_api.free_ (p);
}

struct curl_slist *
curl_slist_append (struct curl_slist *list, const char *text)
{
    return s_ready () ? s_api.slist_append (list, text) : NULL;
}

void
curl_slist_free_all (struct curl_slist *list)
{
    if (s_ready ())
        s_api.slist_free_all (list);
}

CURLM *
curl_multi_init (void)
{
    return s_ready () ? s_api.multi_init () : NULL;
}

CURLMcode
curl_multi_add_handle (CURLM *multi, CURL *curl)
{
    return s_ready () ? s_api.multi_add_handle (multi, curl) : CURLM_INTERNAL_ERROR;
}

CURLMcode
curl_multi_remove_handle (CURLM *multi, CURL *curl)
{
    return s_ready () ? s_api.multi_remove_handle (multi, curl) : CURLM_INTERNAL_ERROR;
}

CURLMcode
curl_multi_perform (CURLM *multi, int *running)
{
    return s_ready () ? s_api.multi_perform (multi, running) : CURLM_INTERNAL_ERROR;
}

CURLMcode
curl_multi_poll (CURLM *multi, struct curl_waitfd extra [], unsigned int extra_count,
                 int timeout_ms, int *numfds)
{
    return s_ready () ? s_api.multi_poll (multi, extra, extra_count, timeout_ms, numfds)
                      : CURLM_INTERNAL_ERROR;
}

CURLMsg *
curl_multi_info_read (CURLM *multi, int *left)
{
    return s_ready () ? s_api.multi_info_read (multi, left) : NULL;
}

CURLMcode
curl_multi_wakeup (CURLM *multi)
{
    return s_ready () ? s_api.multi_wakeup (multi) : CURLM_INTERNAL_ERROR;
}

CURLMcode
curl_multi_cleanup (CURLM *multi)
{
    return s_ready () ? s_api.multi_cleanup (multi) : CURLM_INTERNAL_ERROR;
}

CURLU *
curl_url (void)
{
    return s_ready () ? s_api.url () : NULL;
}

void
curl_url_cleanup (CURLU *handle)
{
    if (s_ready ())
        s_api.url_cleanup (handle);
}

CURLUcode
curl_url_set (CURLU *handle, CURLUPart what, const char *part, unsigned int flags)
{
    return s_ready () ? s_api.url_set (handle, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

CURLUcode
curl_url_get (CURLU *handle, CURLUPart what, char **part, unsigned int flags)
{
    return s_ready () ? s_api.url_get (handle, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

#else
//  ISO C wants a declaration in every translation unit.
typedef int curl_lazy_unused_t;
#endif
