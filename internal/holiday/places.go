package holiday

import (
	"sync"

	"github.com/rickar/cal/v2"
	har "github.com/rickar/cal/v2/ar"
	hat "github.com/rickar/cal/v2/at"
	hau "github.com/rickar/cal/v2/au"
	hbe "github.com/rickar/cal/v2/be"
	hbg "github.com/rickar/cal/v2/bg"
	hbr "github.com/rickar/cal/v2/br"
	hca "github.com/rickar/cal/v2/ca"
	hch "github.com/rickar/cal/v2/ch"
	hcy "github.com/rickar/cal/v2/cy"
	hcz "github.com/rickar/cal/v2/cz"
	hde "github.com/rickar/cal/v2/de"
	hdk "github.com/rickar/cal/v2/dk"
	hee "github.com/rickar/cal/v2/ee"
	hes "github.com/rickar/cal/v2/es"
	hfi "github.com/rickar/cal/v2/fi"
	hfr "github.com/rickar/cal/v2/fr"
	hgb "github.com/rickar/cal/v2/gb"
	hgr "github.com/rickar/cal/v2/gr"
	hhr "github.com/rickar/cal/v2/hr"
	hhu "github.com/rickar/cal/v2/hu"
	hie "github.com/rickar/cal/v2/ie"
	his "github.com/rickar/cal/v2/is"
	hit "github.com/rickar/cal/v2/it"
	hjp "github.com/rickar/cal/v2/jp"
	hke "github.com/rickar/cal/v2/ke"
	hlt "github.com/rickar/cal/v2/lt"
	hlu "github.com/rickar/cal/v2/lu"
	hlv "github.com/rickar/cal/v2/lv"
	hmt "github.com/rickar/cal/v2/mt"
	hmw "github.com/rickar/cal/v2/mw"
	hmx "github.com/rickar/cal/v2/mx"
	hnc "github.com/rickar/cal/v2/nc"
	hnl "github.com/rickar/cal/v2/nl"
	hno "github.com/rickar/cal/v2/no"
	hnz "github.com/rickar/cal/v2/nz"
	hpl "github.com/rickar/cal/v2/pl"
	hpt "github.com/rickar/cal/v2/pt"
	hro "github.com/rickar/cal/v2/ro"
	hrs "github.com/rickar/cal/v2/rs"
	hru "github.com/rickar/cal/v2/ru"
	hse "github.com/rickar/cal/v2/se"
	hsi "github.com/rickar/cal/v2/si"
	hsk "github.com/rickar/cal/v2/sk"
	hth "github.com/rickar/cal/v2/th"
	hua "github.com/rickar/cal/v2/ua"
	hus "github.com/rickar/cal/v2/us"
	hza "github.com/rickar/cal/v2/za"
)

// places maps ISO 3166-1 codes to the library's lists: the national list and
// each region's whole list (national holidays included), as the library
// defines them. It names lists; every rule is the library's. Built at first
// use, not at start (cold start).
var places = sync.OnceValue(func() map[string]place {
	return map[string]place{
		"AR": {"Argentina", har.Holidays, nil},
		"AT": {"Austria", hat.Holidays, nil},
		"AU": {"Australia", nil, map[string][]*cal.Holiday{"ACT": hau.HolidaysACT, "NSW": hau.HolidaysNSW, "NT": hau.HolidaysNT, "QLD": hau.HolidaysQLD, "SA": hau.HolidaysSA, "TAS": hau.HolidaysTAS, "VIC": hau.HolidaysVIC, "WA": hau.HolidaysWA}},
		"BE": {"Belgium", hbe.Holidays, nil},
		"BG": {"Bulgaria", hbg.Holidays, nil},
		"BR": {"Brazil", hbr.Holidays, nil},
		"CA": {"Canada", hca.Holidays, nil},
		"CH": {"Switzerland", hch.Holidays, map[string][]*cal.Holiday{"ZH": hch.HolidaysZH, "BE": hch.HolidaysBE, "LU": hch.HolidaysLU, "UR": hch.HolidaysUR, "SZ": hch.HolidaysSZ, "OW": hch.HolidaysOW, "NW": hch.HolidaysNW, "GL": hch.HolidaysGL, "ZG": hch.HolidaysZG, "FR": hch.HolidaysFR, "SO": hch.HolidaysSO, "BS": hch.HolidaysBS, "BL": hch.HolidaysBL, "SH": hch.HolidaysSH, "AR": hch.HolidaysAR, "AI": hch.HolidaysAI, "SG": hch.HolidaysSG, "GR": hch.HolidaysGR, "AG": hch.HolidaysAG, "TG": hch.HolidaysTG, "VD": hch.HolidaysVD, "TI": hch.HolidaysTI, "VS": hch.HolidaysVS, "NE": hch.HolidaysNE, "GE": hch.HolidaysGE, "JU": hch.HolidaysJU}},
		"CY": {"Cyprus", hcy.Holidays, nil},
		"CZ": {"Czechia", hcz.Holidays, nil},
		"DE": {"Germany", hde.Holidays, map[string][]*cal.Holiday{"BW": hde.HolidaysBW, "BY": hde.HolidaysBY, "BE": hde.HolidaysBE, "BB": hde.HolidaysBB, "HB": hde.HolidaysHB, "HH": hde.HolidaysHH, "HE": hde.HolidaysHE, "MV": hde.HolidaysMV, "NI": hde.HolidaysNI, "NW": hde.HolidaysNW, "RP": hde.HolidaysRP, "SL": hde.HolidaysSL, "SN": hde.HolidaysSN, "ST": hde.HolidaysST, "SH": hde.HolidaysSH, "TH": hde.HolidaysTH}},
		"DK": {"Denmark", hdk.Holidays, nil},
		"EE": {"Estonia", hee.Holidays, nil},
		"ES": {"Spain", hes.Holidays, nil},
		"FI": {"Finland", hfi.Holidays, nil},
		"FR": {"France", hfr.Holidays, nil},
		"GB": {"United Kingdom", hgb.Holidays, nil},
		"GR": {"Greece", hgr.Holidays, nil},
		"HR": {"Croatia", hhr.Holidays, nil},
		"HU": {"Hungary", hhu.Holidays, nil},
		"IE": {"Ireland", hie.Holidays, nil},
		"IS": {"Iceland", his.Holidays, nil},
		"IT": {"Italy", hit.Holidays, nil},
		"JP": {"Japan", hjp.Holidays, nil},
		"KE": {"Kenya", hke.Holidays, nil},
		"LT": {"Lithuania", hlt.Holidays, nil},
		"LU": {"Luxembourg", hlu.Holidays, nil},
		"LV": {"Latvia", hlv.Holidays, nil},
		"MT": {"Malta", hmt.Holidays, nil},
		"MW": {"Malawi", hmw.Holidays, nil},
		"MX": {"Mexico", hmx.Holidays, nil},
		"NC": {"New Caledonia", hnc.Holidays, nil},
		"NL": {"Netherlands", hnl.Holidays, nil},
		"NO": {"Norway", hno.Holidays, nil},
		"NZ": {"New Zealand", hnz.Holidays, nil},
		"PL": {"Poland", hpl.Holidays, nil},
		"PT": {"Portugal", hpt.Holidays, nil},
		"RO": {"Romania", hro.Holidays, nil},
		"RS": {"Serbia", hrs.Holidays, nil},
		"RU": {"Russia", hru.Holidays, nil},
		"SE": {"Sweden", hse.Holidays, nil},
		"SI": {"Slovenia", hsi.Holidays, nil},
		"SK": {"Slovakia", hsk.Holidays, nil},
		"TH": {"Thailand", hth.Holidays, nil},
		"UA": {"Ukraine", hua.Holidays, nil},
		"US": {"United States", hus.Holidays, nil},
		"ZA": {"South Africa", hza.Holidays, nil},
	}
})
