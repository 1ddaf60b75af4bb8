package pra

import "testing"

func TestBRCSName(t *testing.T) {
	for name, want := range map[string]bool{
		"start_jump_item_session.brcs-sandbox": true,
		"login.brcs":                           true,
		"x.BRCS-Site_2":                        true,
		"Invoice.bat":                          false,
		"Invoice.brcs.bat":                     false,
		"x.brcs-support.example.com":           false, // the extension is .com
		"x.brcs-":                              false,
		"x.brcsx":                              false,
		".brcs":                                false,
		"x.brcs-a b":                           false,
		"script":                               false,
	} {
		if got := brcsName(name); got != want {
			t.Errorf("brcsName(%q) = %v, want %v", name, got, want)
		}
	}
}
