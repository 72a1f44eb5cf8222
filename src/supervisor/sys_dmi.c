/* /sys/devices/virtual/dmi/id/product_uuid: the machine's UUID, which
 * software uses to tell machines apart (licence keys, cluster node IDs, the
 * fallback of systemd's machine-id). Each container gets its own, random,
 * fixed for its lifetime (the supervisor draws it once). Only where the
 * host has the file (no DMI: sysfs has nowhere to mount it). */
#include <stdio.h>

#include "common/util.h"
#include "supervisor/emul.h"
#include "supervisor/procview.h"

char *ib_procview_uuid(const uint8_t bytes[16])
{
	uint8_t b[16];

	for (int i = 0; i < 16; i++)
		b[i] = bytes[i];
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	return ib_xasprintf(
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n", b[0], b[1],
	    b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	    b[15]);
}

char *ib_emul_product_uuid(const struct ib_emul_file *f)
{
	(void)f;
	return ib_procview_uuid(ib_emul.uuid);
}
