/* src/api/domains_http.c: see its header. */
#include "api/domains_http.h"
