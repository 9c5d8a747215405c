package dockerfile

// ExposedPorts follows github.com/docker/go-connections v0.4.0's nat
// package (ParsePortSpecs), which dockerd 20.10 used for EXPOSE; Apache
// License 2.0.

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/network"
)

// ExposedPorts reads EXPOSE arguments ("80", "80/udp", "8000-8002",
// "127.0.0.1:8080:80/tcp") as dockerd 20.10 did and returns the container
// ports they name. Errors have go-connections v0.4's texts: "Invalid
// proto: bogus", "Invalid containerPort: x", ...
func ExposedPorts(specs []string) ([]network.Port, error) {
	var out []network.Port
	seen := map[network.Port]bool{}
	for _, raw := range specs {
		ports, err := parsePortSpec(raw)
		if err != nil {
			return nil, err
		}
		for _, p := range ports {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out, nil
}

func parsePortSpec(raw string) ([]network.Port, error) {
	rawIP, hostPort, containerPort := splitParts(raw)
	proto, containerPort := splitProtoPort(containerPort)
	ip, _, err := net.SplitHostPort(rawIP + ":")
	if err != nil {
		return nil, fmt.Errorf("Invalid ip address %v: %s", rawIP, err)
	}
	if ip != "" && net.ParseIP(ip) == nil {
		return nil, fmt.Errorf("Invalid ip address: %s", ip)
	}
	if containerPort == "" {
		return nil, fmt.Errorf("No port specified: %s<empty>", raw)
	}
	start, end, err := parsePortRange(containerPort)
	if err != nil {
		return nil, fmt.Errorf("Invalid containerPort: %s", containerPort)
	}
	if hostPort != "" {
		hs, he, err := parsePortRange(hostPort)
		if err != nil {
			return nil, fmt.Errorf("Invalid hostPort: %s", hostPort)
		}
		if end-start != he-hs && end != start {
			return nil, fmt.Errorf("Invalid ranges specified for container and host Ports: %s and %s", containerPort, hostPort)
		}
	}
	if lp := strings.ToLower(proto); lp != "tcp" && lp != "udp" && lp != "sctp" {
		return nil, fmt.Errorf("Invalid proto: %s", proto)
	}
	proto = strings.ToLower(proto)
	var out []network.Port
	for p := start; p <= end; p++ {
		port, err := network.ParsePort(strconv.FormatUint(p, 10) + "/" + proto)
		if err != nil {
			return nil, err
		}
		out = append(out, port)
	}
	return out, nil
}

func splitParts(raw string) (ip, host, container string) {
	parts := strings.Split(raw, ":")
	n := len(parts)
	container = parts[n-1]
	switch n {
	case 1:
		return "", "", container
	case 2:
		return "", parts[0], container
	case 3:
		return parts[0], parts[1], container
	}
	return strings.Join(parts[:n-2], ":"), parts[n-2], container
}

func splitProtoPort(raw string) (string, string) {
	parts := strings.Split(raw, "/")
	if len(raw) == 0 || len(parts[0]) == 0 {
		return "", ""
	}
	if len(parts) == 1 || len(parts[1]) == 0 {
		return "tcp", parts[0]
	}
	return parts[1], parts[0]
}

func parsePortRange(ports string) (uint64, uint64, error) {
	if ports == "" {
		return 0, 0, fmt.Errorf("Empty string specified for ports.")
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
		return 0, 0, fmt.Errorf("Invalid range specified for the Port: %s", ports)
	}
	return start, end, nil
}
