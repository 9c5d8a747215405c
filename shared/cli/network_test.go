package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCreateIPAMConfig(t *testing.T) {
	tests := []struct {
		name                 string
		subnets, ranges, gws []string
		aux                  map[string]string
		want, wantErr        string
	}{
		{name: "subnet, range, gateway, aux", subnets: []string{"10.1.0.0/16"}, ranges: []string{"10.1.2.0/24"}, gws: []string{"10.1.0.254"},
			aux:  map[string]string{"h": "10.1.0.5"},
			want: `[{"Subnet":"10.1.0.0/16","IPRange":"10.1.2.0/24","Gateway":"10.1.0.254","AuxiliaryAddresses":{"h":"10.1.0.5"}}]`},
		{name: "two subnets in order", subnets: []string{"10.2.0.0/16", "10.1.0.0/16"},
			want: `[{"Subnet":"10.2.0.0/16"},{"Subnet":"10.1.0.0/16"}]`},
		{name: "gateway without subnet", gws: []string{"10.0.0.1"}, wantErr: "every ip-range or gateway must have a corresponding subnet"},
		{name: "overlap", subnets: []string{"10.0.0.0/8", "10.1.0.0/16"}, wantErr: "multiple overlapping subnet configuration is not supported"},
		{name: "bad subnet", subnets: []string{"10.0.0.0/8", "x"}, wantErr: "invalid subnet: invalid CIDR address: x"},
		{name: "gateway elsewhere", subnets: []string{"10.0.0.0/8"}, gws: []string{"192.168.0.1"}, wantErr: "no matching subnet for gateway 192.168.0.1"},
		{name: "range elsewhere", subnets: []string{"10.0.0.0/8"}, ranges: []string{"192.168.0.0/24"}, wantErr: "no matching subnet for range 192.168.0.0/24"},
		{name: "two gateways", subnets: []string{"10.0.0.0/8", "192.168.0.0/16"}, gws: []string{"10.0.0.1", "10.0.0.2"},
			wantErr: "cannot configure multiple gateways (10.0.0.2, 10.0.0.1) for the same subnet (10.0.0.0/8)"},
		{name: "aux elsewhere", subnets: []string{"10.0.0.0/8"}, aux: map[string]string{"a": "11.0.0.1"}, wantErr: "no matching subnet for aux-address 11.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ipam, err := createIPAMConfig("default", tt.subnets, tt.ranges, tt.gws, tt.aux, nil)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(ipam.Config)
			if got := strings.ReplaceAll(string(b), `,"AuxiliaryAddresses":{}`, ""); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// FuzzCreateIPAMConfig checks that no --subnet, --ip-range, --gateway or
// --aux-address value makes `docker network create` panic, and that a
// pool accepted is one the user asked for.
//
//	go test ./shared/cli -run '^$' -fuzz FuzzCreateIPAMConfig -fuzztime 1m
func FuzzCreateIPAMConfig(f *testing.F) {
	f.Add("10.1.0.0/16", "10.1.2.0/24", "10.1.0.1", "10.1.0.5")
	f.Add("::/0", "::1/128", "::1", "x")
	f.Fuzz(func(t *testing.T, subnet, ipRange, gw, aux string) {
		ipam, err := createIPAMConfig("default", []string{subnet}, []string{ipRange}, []string{gw}, map[string]string{"a": aux}, nil)
		if err != nil {
			return
		}
		if len(ipam.Config) != 1 || ipam.Config[0].Subnet != subnet || ipam.Config[0].Gateway != gw || ipam.Config[0].IPRange != ipRange {
			t.Errorf("got %+v for subnet %q, range %q, gateway %q", ipam.Config, subnet, ipRange, gw)
		}
	})
}
