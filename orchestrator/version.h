/*
 * hpsearch's version: `hpsearch --version` prints it and each sweep's
 * provenance records it. Raise it with every release.
 */
#ifndef VERSION_H
#define VERSION_H

#define HPSEARCH_VERSION "0.2"

#endif
