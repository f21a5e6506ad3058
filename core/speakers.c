/* core/speakers.c - the default speaker layouts (see speakers.h). */
#include "speakers.h"

uint32_t segue_default_channel_mask(unsigned channels)
{
    switch (channels) {
    case 1: return SPK_FC;
    case 2: return SPK_FL | SPK_FR;
    case 3: return SPK_FL | SPK_FR | SPK_FC;
    case 4: return SPK_FL | SPK_FR | SPK_BL | SPK_BR;
    case 5: return SPK_FL | SPK_FR | SPK_FC | SPK_BL | SPK_BR;
    case 6: return SPK_FL | SPK_FR | SPK_FC | SPK_LFE | SPK_BL | SPK_BR;
    case 7: return SPK_FL | SPK_FR | SPK_FC | SPK_LFE | SPK_BC | SPK_SL | SPK_SR;
    case 8: return SPK_FL | SPK_FR | SPK_FC | SPK_LFE | SPK_BL | SPK_BR | SPK_SL | SPK_SR;
    default: return 0;
    }
}
