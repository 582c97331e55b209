/*
 * jlcache.h: the C ABI of libjlcache.
 *
 * Answers "is this Julia package's precompile cache stale, counting every
 * dependency?" without a Julia process, and runs Julia's own precompiler only
 * for what is stale.
 *
 * Conventions (after zstd.h, sqlite3.h and libgit2):
 *  - Every name starts with `jlcache_` / `JLCACHE_`.
 *  - Objects are opaque handles with an explicit create and free. Every free
 *    function accepts NULL.
 *  - Functions that can fail return a jlcache_status. JLCACHE_OK is 0. On
 *    failure, jlcache_last_error() returns a message for the calling thread.
 *  - No C++ exception ever crosses this boundary.
 *  - Strings are UTF-8 and NUL-terminated. A returned `const char*` is
 *    borrowed: it stays valid while its owner (named next to each function)
 *    lives, and must not be freed. Strings returned through `char**` are owned
 *    by the caller and freed with jlcache_string_free().
 *  - Thread safety: a jlcache_session may be used from several threads at once.
 *    Header, runtime, verdict and report objects are immutable after creation
 *    (except runtime setters) and may be read from several threads; do not call
 *    runtime setters concurrently with any other use of that runtime.
 *  - Integers use fixed widths so bindings (Julia ccall, Python ctypes) can
 *    mirror them exactly.
 *  - Names: a function that takes a session is jlcache_session_*; an object's
 *    accessors are jlcache_<object>_<field>; an indexed accessor is
 *    jlcache_<object>_<item>_at(obj, i, ...) beside jlcache_<object>_<item>_count.
 *  - Option structs start with a `version` member. Fill one with its _init
 *    function (jlcache_session_options_init(&o, JLCACHE_SESSION_OPTIONS_VERSION)),
 *    as libgit2 does; a struct whose version this library does not know is
 *    refused with JLCACHE_E_INVALID_ARGUMENT.
 */
#ifndef JLCACHE_H
#define JLCACHE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* JLCACHE_API marks the exported functions. The library is built with
 * JLCACHE_BUILDING_LIBRARY defined (and -fvisibility=hidden), so only these
 * functions are exported; consumers see plain declarations, or dllimport on
 * Windows. */
#if defined(_WIN32)
#if defined(JLCACHE_BUILDING_LIBRARY)
#define JLCACHE_API __declspec(dllexport)
#else
#define JLCACHE_API __declspec(dllimport)
#endif
#elif defined(JLCACHE_BUILDING_LIBRARY) && (defined(__GNUC__) || defined(__clang__))
#define JLCACHE_API __attribute__((visibility("default")))
#else
#define JLCACHE_API
#endif

/* Bumped on any incompatible change of this header. */
#define JLCACHE_ABI_VERSION 2

/* ---------------------------------------------------------------- status */

typedef int32_t jlcache_status;
enum {
  JLCACHE_OK = 0,
  JLCACHE_E_INVALID_ARGUMENT = 1, /* NULL handle, bad option, bad name */
  JLCACHE_E_IO = 2,               /* an I/O error not covered below */
  JLCACHE_E_NOT_FOUND = 3,        /* a file or directory that must exist does not */
  JLCACHE_E_PERMISSION = 4,       /* permission denied */
  JLCACHE_E_SYMLINK_LOOP = 5,     /* too many levels of symbolic links */
  JLCACHE_E_CORRUPT_CACHE = 6,    /* truncated or corrupt .ji (message names offset and field) */
  JLCACHE_E_UNSUPPORTED = 7,      /* unknown format version or Julia line */
  JLCACHE_E_TOML = 8,             /* broken TOML (message names file, line and column) */
  JLCACHE_E_MANIFEST_MISSING = 9, /* the environment has no manifest */
  JLCACHE_E_PACKAGE_NOT_FOUND = 10, /* the name is not in the environment */
  JLCACHE_E_NOT_INSTALLED = 11,   /* declared, but its source is not in any depot */
  JLCACHE_E_RUNTIME = 12,         /* bad or incomplete runtime profile */
  JLCACHE_E_TIMEOUT = 13,
  JLCACHE_E_CHILD_FAILED = 14,    /* the julia child could not be started or crashed */
  JLCACHE_E_INTERNAL = 15
};

/* ABI version of the loaded library; compare with JLCACHE_ABI_VERSION. */
JLCACHE_API int32_t jlcache_abi_version(void);
/* Library version, e.g. "0.2.0". Static storage. */
JLCACHE_API const char* jlcache_version_string(void);
/* Stable lower-case name of a status ("ok", "corrupt_cache", ...). Static storage. */
JLCACHE_API const char* jlcache_status_name(jlcache_status status);
/* Message of the last failed call on this thread, or "" after a success.
 * Thread-local; valid until the next jlcache call on this thread. */
JLCACHE_API const char* jlcache_last_error(void);
/* Frees a string returned through a char** out-parameter. */
JLCACHE_API void jlcache_string_free(char* s);

/* ---------------------------------------------------------- cache headers */

typedef struct jlcache_header jlcache_header;

/* Reads and decodes the header of a .ji file. *out is owned by the caller
 * (jlcache_header_free). A file that fails its whole-file CRC still opens;
 * check jlcache_header_crc_ok. */
JLCACHE_API jlcache_status jlcache_header_open(const char* path, jlcache_header** out);
/* Same, from bytes in memory (the bytes are copied as needed). */
JLCACHE_API jlcache_status jlcache_header_parse(const void* data, size_t len,
                                                jlcache_header** out);
JLCACHE_API void jlcache_header_free(jlcache_header* header);
/* The same JSON object `jlcache inspect --json` prints. Caller frees. */
JLCACHE_API jlcache_status jlcache_header_to_json(const jlcache_header* header, char** out_json);

/* Scalar fields. Borrowed strings live as long as the header. */
JLCACHE_API int32_t jlcache_header_format_version(const jlcache_header* h);
JLCACHE_API const char* jlcache_header_layout(const jlcache_header* h); /* "A", "B", "B'", "C13a", ... */
JLCACHE_API const char* jlcache_header_julia_version(const jlcache_header* h);
JLCACHE_API const char* jlcache_header_git_branch(const jlcache_header* h);
JLCACHE_API const char* jlcache_header_git_commit(const jlcache_header* h);
JLCACHE_API const char* jlcache_header_os(const jlcache_header* h);
JLCACHE_API const char* jlcache_header_arch(const jlcache_header* h);
JLCACHE_API uint8_t jlcache_header_flags(const jlcache_header* h);
JLCACHE_API uint64_t jlcache_header_checksum(const jlcache_header* h);
/* 1 if the stored whole-file CRC-32C matches, else 0. */
JLCACHE_API int32_t jlcache_header_crc_ok(const jlcache_header* h);
/* The stored CRC-32C of the companion native library (0 without native code). */
JLCACHE_API uint32_t jlcache_header_pkgimage_crc(const jlcache_header* h);
JLCACHE_API uint64_t jlcache_header_clone_targets_size(const jlcache_header* h);
/* Checks a native library file against the stored pkgimage CRC.
 * *out_match is set to 1 on match, 0 otherwise. */
JLCACHE_API jlcache_status jlcache_header_check_native_library(const jlcache_header* h,
                                                               const char* so_path,
                                                               int32_t* out_match);

/* A module: worklist entries and required modules. uuid is canonical text or
 * NULL; build ids are split into their 64-bit halves. */
typedef struct {
  const char* name;
  const char* uuid;
  uint64_t build_id_hi;
  uint64_t build_id_lo;
} jlcache_module;

/* An include entry (file recorded by include or include_dependency). */
typedef struct {
  const char* path;           /* raw, as stored (may start with "@depot") */
  int64_t fsize;              /* -1 in layout A */
  int64_t hash;               /* CRC-32C, or -1 in layout A */
  double mtime;               /* -1.0 when content-tracked */
  const char* module;         /* worklist root name, or NULL for Main */
  const char* submodule_path; /* dotted, "" for the root */
  int32_t tracked_by_content; /* 1 content, 0 mtime */
  int32_t is_include;         /* 1 include(), 0 include_dependency */
} jlcache_include;

typedef struct {
  const char* module;         /* importing root module */
  const char* submodule_path; /* dotted */
  const char* name;           /* imported package */
  const char* uuid;           /* NULL when stored as zero */
} jlcache_requires;

JLCACHE_API size_t jlcache_header_module_count(const jlcache_header* h);
JLCACHE_API jlcache_status jlcache_header_module_at(const jlcache_header* h, size_t i,
                                                    jlcache_module* out);
JLCACHE_API size_t jlcache_header_required_count(const jlcache_header* h);
JLCACHE_API jlcache_status jlcache_header_required_at(const jlcache_header* h, size_t i,
                                                      jlcache_module* out);
JLCACHE_API size_t jlcache_header_include_count(const jlcache_header* h);
JLCACHE_API jlcache_status jlcache_header_include_at(const jlcache_header* h, size_t i,
                                                     jlcache_include* out);
JLCACHE_API size_t jlcache_header_requires_count(const jlcache_header* h);
JLCACHE_API jlcache_status jlcache_header_requires_at(const jlcache_header* h, size_t i,
                                                      jlcache_requires* out);

/* --------------------------------------------------------------- runtime */

/* One Julia installation and process: the answer depends on which Julia asks. */
typedef struct jlcache_runtime jlcache_runtime;

/* Loads a runtime profile TOML (see docs/runtime-profile.md). Caller frees.
 * JLCACHE_E_NOT_FOUND when the file does not exist, JLCACHE_E_IO when it is
 * not a regular file (never waited on), JLCACHE_E_TOML for a syntax error,
 * JLCACHE_E_RUNTIME for a bad or incomplete profile (a string holding a NUL
 * byte included); messages name file:line:col where there is one. */
JLCACHE_API jlcache_status jlcache_runtime_from_file(const char* path, jlcache_runtime** out);
/* An empty runtime to fill with the setters (the Julia bindings do this). */
JLCACHE_API jlcache_status jlcache_runtime_new(jlcache_runtime** out);
JLCACHE_API void jlcache_runtime_free(jlcache_runtime* rt);
/* Sets a string key of the profile: julia_version, git_branch, git_commit, os,
 * arch, julia_bin, image_file, cpu_target, stdlib_dir, build_stdlib_dir,
 * pkgimages, gc_abi, active_project. */
JLCACHE_API jlcache_status jlcache_runtime_set_string(jlcache_runtime* rt, const char* key,
                                                      const char* value);
/* Sets an integer key: pointer_size, cache_flags. */
JLCACHE_API jlcache_status jlcache_runtime_set_int(jlcache_runtime* rt, const char* key,
                                                   int64_t value);
/* Appends to a list key: depot_path, load_path, accepted_clone_targets ("0x..."). */
JLCACHE_API jlcache_status jlcache_runtime_add_string(jlcache_runtime* rt, const char* key,
                                                      const char* value);
/* Adds a sysimage module. uuid may be NULL (Core, Base, Main). */
JLCACHE_API jlcache_status jlcache_runtime_add_sysimage_module(jlcache_runtime* rt,
                                                               const char* name,
                                                               const char* uuid,
                                                               uint64_t build_id_hi,
                                                               uint64_t build_id_lo);
/* Checks that every required key is present and well-formed. */
JLCACHE_API jlcache_status jlcache_runtime_validate(const jlcache_runtime* rt);

/* The Julia script that collects a runtime's facts, the one the library runs
 * itself when it probes a julia binary (lib/env/probe_script.jl). Its text is
 * one anonymous function f(io::IO, scan_depots::Bool): evaluated and called in
 * the Julia process whose facts are wanted, it prints them to io (with
 * scan_depots, also the clone targets and preference hashes of the depots'
 * caches); hand that text to jlcache_runtime_from_probe_output. Static
 * storage, never freed. Bindings evaluate this script rather than keep their
 * own copy, so the facts always match this library's version. */
JLCACHE_API const char* jlcache_probe_script(void);
/* Builds a runtime from the output of jlcache_probe_script (len bytes; need
 * not be NUL-terminated). JLCACHE_E_RUNTIME for output that is not a complete
 * probe. Caller frees. */
JLCACHE_API jlcache_status jlcache_runtime_from_probe_output(const char* text, size_t len,
                                                             jlcache_runtime** out);

/* --------------------------------------------------------------- session */

typedef struct jlcache_session jlcache_session;

#define JLCACHE_SESSION_OPTIONS_VERSION 1

typedef struct {
  uint32_t version;       /* JLCACHE_SESSION_OPTIONS_VERSION */
  const char* project;    /* like julia --project=DIR; NULL: the runtime's / environment's */
  int32_t io_threads;     /* stat/hash parallelism; 0 = default (4) */
  int32_t no_write;       /* 1: never write the probe cache or the hash memo */
  const char* memo_path;  /* content-hash memo file; NULL: default under the first depot */
} jlcache_session_options;

/* Sets every member of *options to its default (zero / NULL) and its version
 * to `version`. JLCACHE_E_INVALID_ARGUMENT for NULL or an unknown version. */
JLCACHE_API jlcache_status jlcache_session_options_init(jlcache_session_options* options,
                                                        uint32_t version);

/* Opens a session for a runtime in an environment. The session copies what it
 * needs from rt; rt may be freed afterwards. options may be NULL. Caller frees.
 * A session owns its memo caches and is safe to share between threads. */
JLCACHE_API jlcache_status jlcache_session_open(const jlcache_runtime* rt,
                                                const jlcache_session_options* options,
                                                jlcache_session** out);
JLCACHE_API void jlcache_session_free(jlcache_session* s);
/* Forgets memoized verdicts and parsed files (the content-hash memo stays). */
JLCACHE_API void jlcache_session_clear_memo(jlcache_session* s);

/* Callback: would this Julia accept a pkgimage's clone targets on this CPU?
 * Return 1 (yes), 0 (no) or -1 (cannot tell). */
typedef int32_t (*jlcache_clone_targets_fn)(void* user_data, const uint8_t* blob, size_t len);
/* Callback: Julia's Base.get_preferences_hash(uuid, names) in the asking
 * process. Return 0 and set *out_hash, or non-zero when it cannot tell. */
typedef int32_t (*jlcache_preferences_hash_fn)(void* user_data, const char* uuid,
                                               const char* const* names, size_t n_names,
                                               uint64_t* out_hash);
/* Registers callbacks (NULL to remove). Callbacks may be called from the
 * session's I/O threads, one at a time (the session serializes them, under a
 * lock held while the callback runs).
 *
 * What a callback may call: anything that does not use its own session
 * (jlcache_abi_version, header and runtime functions, other sessions).
 * Calls on its own session are refused, never a deadlock:
 * jlcache_session_isstale, jlcache_session_status, jlcache_session_precompile and both
 * set_*_callback functions return JLCACHE_E_INVALID_ARGUMENT with a message;
 * jlcache_session_clear_memo and jlcache_session_free do nothing. A callback
 * must not wait for another thread that is using the same session either: that
 * thread may be waiting for the callback's lock. */
JLCACHE_API jlcache_status jlcache_session_set_clone_targets_callback(
                                                                      jlcache_session* s, jlcache_clone_targets_fn fn, void* user_data);
JLCACHE_API jlcache_status jlcache_session_set_preferences_hash_callback(
                                                                         jlcache_session* s, jlcache_preferences_hash_fn fn, void* user_data);

/* --------------------------------------------------------------- verdicts */

typedef int32_t jlcache_verdict_kind_t;
enum { JLCACHE_FRESH = 0, JLCACHE_STALE = 1, JLCACHE_UNKNOWN = 2 };

typedef struct jlcache_verdict jlcache_verdict;
typedef struct jlcache_verdict_list jlcache_verdict_list;

/* One reason a candidate (or the package) was rejected. Strings are borrowed
 * from the verdict; cache and dependency may be NULL. */
typedef struct {
  const char* code;       /* stable code, e.g. "file_changed", "dep_stale" */
  const char* detail;     /* one human sentence */
  const char* cache;      /* the candidate cache file concerned */
  const char* dependency; /* the dependency concerned, "Name [uuid]" */
} jlcache_reason;

/* Would a fresh process of this runtime find a usable cache for the package?
 * `package` is a name or a canonical UUID. A package that is not in the
 * environment is an error (JLCACHE_E_PACKAGE_NOT_FOUND). Caller frees. */
JLCACHE_API jlcache_status jlcache_session_isstale(jlcache_session* s, const char* package,
                                                   jlcache_verdict** out);
/* Every package loadable from the active project: its deps and what they
 * reach in the manifest (a dep the manifest does not list is stale,
 * not_installed). A broken active manifest is an error here and in
 * jlcache_session_isstale alike. Caller frees the list. */
JLCACHE_API jlcache_status jlcache_session_status(jlcache_session* s, jlcache_verdict_list** out);
/* Touches the cache a fresh verdict chose, as Julia does on load. */
JLCACHE_API jlcache_status jlcache_verdict_touch(const jlcache_verdict* v);
JLCACHE_API void jlcache_verdict_free(jlcache_verdict* v);

JLCACHE_API jlcache_verdict_kind_t jlcache_verdict_kind(const jlcache_verdict* v);
JLCACHE_API const char* jlcache_verdict_package(const jlcache_verdict* v); /* name */
JLCACHE_API const char* jlcache_verdict_uuid(const jlcache_verdict* v);    /* or NULL */
JLCACHE_API const char* jlcache_verdict_cache(const jlcache_verdict* v);   /* chosen cache or NULL */
JLCACHE_API size_t jlcache_verdict_reason_count(const jlcache_verdict* v);
JLCACHE_API jlcache_status jlcache_verdict_reason_at(const jlcache_verdict* v, size_t i,
                                                     jlcache_reason* out);
/* JSON object {"name","uuid","verdict","cache","reasons":[...]}. Caller frees. */
JLCACHE_API jlcache_status jlcache_verdict_to_json(const jlcache_verdict* v, char** out_json);

JLCACHE_API size_t jlcache_verdict_list_count(const jlcache_verdict_list* l);
/* Borrowed: valid while the list lives. NULL when i is out of range. */
JLCACHE_API const jlcache_verdict* jlcache_verdict_list_at(const jlcache_verdict_list* l,
                                                           size_t i);
JLCACHE_API void jlcache_verdict_list_free(jlcache_verdict_list* l);

/* ------------------------------------------------------------ precompile */

typedef int32_t jlcache_precompile_result;
enum {
  JLCACHE_PRECOMPILE_FRESH = 0,
  JLCACHE_PRECOMPILE_STALE = 1,
  JLCACHE_PRECOMPILE_UNKNOWN = 2,
  JLCACHE_PRECOMPILE_FAILED = 3,
  JLCACHE_PRECOMPILE_TIMEOUT = 4
};

/* Progress: one line of text (julia output, or a status line from jlcache). */
typedef void (*jlcache_progress_fn)(void* user_data, const char* line);

#define JLCACHE_PRECOMPILE_OPTIONS_VERSION 1

typedef struct {
  uint32_t version;            /* JLCACHE_PRECOMPILE_OPTIONS_VERSION */
  double timeout_seconds;      /* child plus wait; 0 = no limit */
  int32_t wait_for_other_runner; /* 1: wait for a concurrent runner, then re-check */
  int32_t jobs;                /* JULIA_NUM_PRECOMPILE_TASKS for the child; 0 = Julia's default */
  double lock_stale_age;       /* seconds; 0 = Julia's 10 */
  jlcache_progress_fn progress;
  void* progress_user_data;
} jlcache_precompile_options;

/* Sets every member of *options to its default (zero / NULL) and its version
 * to `version`. JLCACHE_E_INVALID_ARGUMENT for NULL or an unknown version. */
JLCACHE_API jlcache_status jlcache_precompile_options_init(jlcache_precompile_options* options,
                                                           uint32_t version);

typedef struct jlcache_precompile_report jlcache_precompile_report;

/* Makes the named packages (and their closures) fresh: a fast check, and if
 * anything is stale, one julia precompile run for the stale roots, elected
 * across processes by a lock in the first depot. names may be NULL with n = 0
 * for the whole environment. Caller frees the report. */
JLCACHE_API jlcache_status jlcache_session_precompile(jlcache_session* s,
                                                      const char* const* names, size_t n,
                                                      const jlcache_precompile_options* options,
                                                      jlcache_precompile_report** out);
JLCACHE_API void jlcache_precompile_report_free(jlcache_precompile_report* r);
JLCACHE_API size_t jlcache_precompile_report_count(const jlcache_precompile_report* r);
JLCACHE_API jlcache_precompile_result jlcache_precompile_report_result_at(
                                                                          const jlcache_precompile_report* r, size_t i);
/* The final verdict for package i (borrowed from the report). */
JLCACHE_API const jlcache_verdict* jlcache_precompile_report_verdict_at(
                                                                        const jlcache_precompile_report* r, size_t i);
/* 1 if this call launched julia, else 0. */
JLCACHE_API int32_t jlcache_precompile_report_launched(const jlcache_precompile_report* r);
/* The child's exit status (-1 if none ran), and the tail of its output. */
JLCACHE_API int32_t jlcache_precompile_report_exit_status(const jlcache_precompile_report* r);
JLCACHE_API const char* jlcache_precompile_report_output_tail(const jlcache_precompile_report* r);

#ifdef __cplusplus
}
#endif

#endif /* JLCACHE_H */
