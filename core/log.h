/* Diagnostics to stderr, with debug categories (--debug=attest,policy). Measurements never go here. */
#ifndef OMEGA_LOG_H
#define OMEGA_LOG_H

enum omega_log_level { OMEGA_LOG_ERROR, OMEGA_LOG_WARN, OMEGA_LOG_INFO, OMEGA_LOG_DEBUG };

/* Print one line at level; DEBUG lines need their category enabled. */
void omega_log(enum omega_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Debug line in category cat ("attest", "policy", ...), printed only when that category is on. */
void omega_debug(const char *cat, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Enable a comma-separated list of debug categories ("all" for every one). */
void omega_log_set_debug(const char *cats);
/* Set the least severe level printed (default WARN; -v gives INFO). */
void omega_log_set_level(enum omega_log_level level);

#endif
