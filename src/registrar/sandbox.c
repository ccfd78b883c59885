/* src/registrar/sandbox.c: see its header. */
#include "registrar/sandbox.h"
