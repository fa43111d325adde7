// SPDX-License-Identifier: MIT
//
// web_shots_data.h: shaped data for the README's screenshots, on top of
// web_fixture's federation: three series on lognact, hour by hour from
// 10 May 2026 to WEB_FX_AT (a school's weekdays and canteen, a house's
// mornings and evenings, a plant's days under changing clouds), each with
// its description box, readable by bob (kermelo/, maison-legall/); and a
// project on the plant ("ecole-pv") of which legall holds 10 shares.

#ifndef WEB_SHOTS_DATA_H
#define WEB_SHOTS_DATA_H

#include "web_fixture.h"

#define WEB_SHOTS_SCHOOL "kermelo/ecole/energy"
#define WEB_SHOTS_HOUSE  "maison-legall/compteur/energy"
#define WEB_SHOTS_PLANT  "kermelo/toit/energy"

// Creates and fills them, and the project. 0 on success (a failure's
// message on stderr).
int web_shots_data(const struct web_fx *fx);

#endif // WEB_SHOTS_DATA_H
