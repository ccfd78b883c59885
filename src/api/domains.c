/* src/api/domains.c: see its header. */
#include "api/domains.h"
