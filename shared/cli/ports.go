package cli

// Port and volume specifications, adapted from
// github.com/docker/go-connections/nat (v0.5.0) and
// github.com/docker/cli/cli/compose/loader/volume.go (v28.2.2), Apache
// License 2.0.

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/moby/moby/api/types/network"
)

// splitProtoPort splits "80/udp" into "udp" and "80"; the protocol is tcp
// when absent.
func splitProtoPort(rawPort string) (string, string) {
	parts := strings.Split(rawPort, "/")
	if rawPort == "" || len(parts) == 0 || parts[0] == "" {
		return "", ""
	}
	if len(parts) == 1 {
		return "tcp", rawPort
	}
	if parts[1] == "" {
		return "tcp", parts[0]
	}
	return parts[1], parts[0]
}

// parsePortRange reads "80" or "8000-8010".
func parsePortRange(ports string) (uint64, uint64, error) {
	if ports == "" {
		return 0, 0, errors.New("empty string specified for ports")
	}
	if !strings.Contains(ports, "-") {
		start, err := strconv.ParseUint(ports, 10, 16)
		return start, start, err
	}
	parts := strings.Split(ports, "-")
	start, err := strconv.ParseUint(parts[0], 10, 16)
	if err != nil {
		return 0, 0, err
	}
	end, err := strconv.ParseUint(parts[1], 10, 16)
	if err != nil {
		return 0, 0, err
	}
	if end < start {
		return 0, 0, fmt.Errorf("invalid range specified for port: %s", ports)
	}
	return start, end, nil
}

// splitParts splits "ip:hostPort:containerPort".
func splitParts(rawport string) (string, string, string) {
	parts := strings.Split(rawport, ":")
	n := len(parts)
	containerPort := parts[n-1]
	switch n {
	case 1:
		return "", "", containerPort
	case 2:
		return "", parts[0], containerPort
	case 3:
		return parts[0], parts[1], containerPort
	default:
		return strings.Join(parts[:n-2], ":"), parts[n-2], containerPort
	}
}

// parsePortSpecs reads -p values into exposed ports and bindings.
func parsePortSpecs(specs []string) (network.PortSet, network.PortMap, error) {
	exposed := make(network.PortSet, len(specs))
	bindings := make(network.PortMap)
	for _, raw := range specs {
		mappings, err := parsePortSpec(raw)
		if err != nil {
			return nil, nil, err
		}
		for _, m := range mappings {
			if _, ok := exposed[m.port]; !ok {
				exposed[m.port] = struct{}{}
			}
			bindings[m.port] = append(bindings[m.port], m.binding)
		}
	}
	return exposed, bindings, nil
}

type portMapping struct {
	port    network.Port
	binding network.PortBinding
}

func parsePortSpec(rawPort string) ([]portMapping, error) {
	ip, hostPort, containerPort := splitParts(rawPort)
	proto, containerPort := splitProtoPort(containerPort)

	if ip != "" && ip[0] == '[' {
		rawIP, _, err := net.SplitHostPort(ip + ":")
		if err != nil {
			return nil, fmt.Errorf("invalid IP address %v: %w", ip, err)
		}
		ip = rawIP
	}
	if ip != "" && net.ParseIP(ip) == nil {
		return nil, fmt.Errorf("invalid IP address: %s", ip)
	}
	if containerPort == "" {
		return nil, fmt.Errorf("no port specified: %s<empty>", rawPort)
	}
	startPort, endPort, err := parsePortRange(containerPort)
	if err != nil {
		return nil, fmt.Errorf("invalid containerPort: %s", containerPort)
	}
	var startHostPort, endHostPort uint64
	if hostPort != "" {
		startHostPort, endHostPort, err = parsePortRange(hostPort)
		if err != nil {
			return nil, fmt.Errorf("invalid hostPort: %s", hostPort)
		}
	}
	if hostPort != "" && (endPort-startPort) != (endHostPort-startHostPort) {
		if endPort != startPort {
			return nil, fmt.Errorf("invalid ranges specified for container and host Ports: %s and %s", containerPort, hostPort)
		}
	}
	switch strings.ToLower(proto) {
	case "tcp", "udp", "sctp":
	default:
		return nil, fmt.Errorf("invalid proto: %s", proto)
	}
	var out []portMapping
	for i := uint64(0); i <= endPort-startPort; i++ {
		cp := strconv.FormatUint(startPort+i, 10)
		if hostPort != "" {
			hostPort = strconv.FormatUint(startHostPort+i, 10)
		}
		if startPort == endPort && startHostPort != endHostPort {
			hostPort = fmt.Sprintf("%s-%s", hostPort, strconv.FormatUint(endHostPort, 10))
		}
		port, err := network.ParsePort(cp + "/" + strings.ToLower(proto))
		if err != nil {
			return nil, err
		}
		b := network.PortBinding{HostPort: hostPort}
		if ip != "" {
			if err := b.HostIP.UnmarshalText([]byte(ip)); err != nil {
				return nil, fmt.Errorf("invalid IP address: %s", ip)
			}
		}
		out = append(out, portMapping{port: port, binding: b})
	}
	return out, nil
}

// volumeSpec is a -v value, parsed.
type volumeSpec struct {
	Type     string
	Source   string
	Target   string
	ReadOnly bool
}

// parseVolumeSpec reads "[source:]target[:options]" as the docker CLI
// does, to tell bind mounts from volumes.
func parseVolumeSpec(spec string) (volumeSpec, error) {
	var v volumeSpec
	switch len(spec) {
	case 0:
		return v, errors.New("invalid empty volume spec")
	case 1, 2:
		v.Target = spec
		v.Type = "volume"
		return v, nil
	}
	var buffer []rune
	const end = rune(0)
	for _, char := range spec + string(end) {
		switch {
		case isWindowsDrive(buffer, char):
			buffer = append(buffer, char)
		case char == ':' || char == end:
			if err := populateVolumeField(char, buffer, &v); err != nil {
				populateVolumeType(&v)
				return v, fmt.Errorf("invalid spec: %s: %w", spec, err)
			}
			buffer = nil
		default:
			buffer = append(buffer, char)
		}
	}
	populateVolumeType(&v)
	return v, nil
}

func isWindowsDrive(buffer []rune, char rune) bool {
	return char == ':' && len(buffer) == 1 && unicode.IsLetter(buffer[0])
}

func populateVolumeField(char rune, buffer []rune, v *volumeSpec) error {
	s := string(buffer)
	switch {
	case len(buffer) == 0:
		return errors.New("empty section between colons")
	case v.Source == "" && char == 0:
		v.Target = s
		return nil
	case v.Source == "":
		v.Source = s
		return nil
	case v.Target == "":
		v.Target = s
		return nil
	case char == ':':
		return errors.New("too many colons")
	}
	for _, option := range strings.Split(s, ",") {
		switch option {
		case "ro":
			v.ReadOnly = true
		case "rw":
			v.ReadOnly = false
		}
	}
	return nil
}

func populateVolumeType(v *volumeSpec) {
	switch {
	case v.Source == "":
		v.Type = "volume"
	case isFilePath(v.Source):
		v.Type = "bind"
	default:
		v.Type = "volume"
	}
}

func isFilePath(source string) bool {
	switch source[0] {
	case '.', '/', '~':
		return true
	}
	if utf8.RuneCountInString(source) == 1 {
		return false
	}
	if strings.HasPrefix(source, `\\`) {
		return true
	}
	first, next := utf8.DecodeRuneInString(source)
	return isWindowsDrive([]rune{first}, rune(source[next]))
}
