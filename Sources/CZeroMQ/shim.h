#ifndef ENGAGE_CZEROMQ_SHIM_H
#define ENGAGE_CZEROMQ_SHIM_H
#include <zmq.h>
#endif
