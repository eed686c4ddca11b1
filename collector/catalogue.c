/* catalogue.c - the signal catalogue (see catalogue.h): one line per
 * signal column of raw_sample, in the order schema/ adds them. Pure data
 * and two look-ups; no state, safe from any thread. */
#include <string.h>

#include "catalogue.h"

static const struct catalogue_signal catalogue[] = {
    /* 001_base.sql: the production set of a turbine. */
    {"wtur_w", "real", "kW", "active power"},
    {"wtur_var", "real", "kvar", "reactive power"},
    {"wtur_totwh", "bigint", "Wh", "energy counter (produced)"},
    {"wmet_horwdspd", "real", "m/s", "wind speed"},
    {"wmet_horwddir", "real", "deg", "wind direction"},
    {"wnac_dir", "real", "deg", "nacelle position"},
    {"wrot_rotspd", "real", "rpm", "rotor speed"},
    {"wgen_spd", "real", "rpm", "generator speed"},
    {"wrot_blpthangval", "real", "deg", "blade pitch angle"},
    {"wmet_envtmp", "real", "C", "ambient temperature"},
    {"wmet_envpres", "real", "hPa", "ambient pressure"},
    {"wtur_turst", "smallint", "", "operating state, the model's code"},
    /* 002_meter.sql: the grid meter (IEC 61850 MMXU, MMTR). */
    {"mmxu_totw", "real", "kW", "active power at the point of connection"},
    {"mmxu_totvar", "real", "kvar",
     "reactive power at the point of connection"},
    {"mmxu_hz", "real", "Hz", "grid frequency"},
    {"mmtr_supwh", "bigint", "Wh", "energy exported (supplied)"},
    {"mmtr_dmdwh", "bigint", "Wh", "energy imported (demanded)"},
    /* 004_condition.sql: condition monitoring. */
    {"wgen_tmpsta", "real", "C", "generator stator temperature"},
    {"wgen_tmprtr", "real", "C", "generator rotor temperature"},
    {"wgen_tmpbrgde", "real", "C", "generator bearing temperature (drive end)"},
    {"wgen_tmpbrgnde", "real", "C",
     "generator bearing temperature (non-drive end)"},
    {"wgen_v", "real", "V", "stator voltage"},
    {"wgen_a", "real", "A", "stator current"},
    {"wgen_hz", "real", "Hz", "generator frequency"},
    {"wgen_pf", "real", "", "power factor"},
    {"wrot_tmpbrg", "real", "C", "main bearing temperature"},
    {"wrot_hubtmp", "real", "C", "hub temperature"},
    {"wrot_blpthangval2", "real", "deg", "blade 2 pitch angle"},
    {"wrot_blpthangval3", "real", "deg", "blade 3 pitch angle"},
    {"wnac_tmp", "real", "C", "nacelle temperature"},
    {"wnac_vibx", "real", "mm/s", "nacelle vibration, fore-aft"},
    {"wnac_viby", "real", "mm/s", "nacelle vibration, side-side"},
    {"wnac_wdspd", "real", "m/s", "nacelle anemometer wind speed"},
    {"wcnv_tmp", "real", "C", "converter temperature"},
    {"wcnv_tmpcool", "real", "C", "converter coolant temperature"},
    {"wtrf_tmp", "real", "C", "transformer temperature"},
    {"wtrf_tmpoil", "real", "C", "transformer oil temperature"},
    {"wyaw_ang", "real", "deg", "yaw misalignment"},
    {"wyaw_cabtwist", "real", "turns", "cable twist"},
    {"wtow_tmp", "real", "C", "tower base temperature"},
    {"whyd_pres", "real", "bar", "hydraulic pressure"},
    {"wtur_almcode", "integer", "", "active alarm code, 0 for none"},
    {"wtur_opshr", "integer", "h", "operating hours counter"},
    {"wtur_genhr", "integer", "h", "generating hours counter"},
    {"wtur_strcnt", "integer", "", "start counter"},
};

#define CATALOGUE_N ((int)(sizeof(catalogue) / sizeof(catalogue[0])))

int
catalogue_count(void)
{
	return CATALOGUE_N;
}

const struct catalogue_signal *
catalogue_at(int i)
{
	return i >= 0 && i < CATALOGUE_N ? &catalogue[i] : NULL;
}

const struct catalogue_signal *
catalogue_find(const char *name)
{
	for (int i = 0; i < CATALOGUE_N; i++)
		if (strcmp(catalogue[i].name, name) == 0)
			return &catalogue[i];
	return NULL;
}

/* Levenshtein distance, on two rows; names are short (a profile name is
 * at most PROFILE_NAME_MAX), longer ones count as far. */
static int
catalogue_distance(const char *a, const char *b)
{
	enum { MAX = 64 };
	int prev[MAX + 1], cur[MAX + 1];
	size_t la = strlen(a), lb = strlen(b);

	if (la > MAX || lb > MAX)
		return MAX * 2;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			int del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins)
			                   : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(int) * (lb + 1));
	}
	return prev[lb];
}

const char *
catalogue_closest(const char *name)
{
	const char *best = catalogue[0].name;
	int best_d = catalogue_distance(name, best);

	for (int i = 1; i < CATALOGUE_N; i++) {
		int d = catalogue_distance(name, catalogue[i].name);

		if (d < best_d) {
			best_d = d;
			best = catalogue[i].name;
		}
	}
	return best;
}
