// Command mmdb-writer writes a small MaxMind DB (.mmdb) file from a JSON
// description, so that Meridian's tests can build GeoIP databases with the
// same writer MaxMind publishes instead of committing binary fixtures.
//
// Input (standard input or -in FILE) is a JSON array of objects. Each object
// needs "network" (CIDR, IPv4 or IPv6); every other key becomes a field of
// that network's record, nested objects and arrays included:
//
//	[{"network": "10.1.0.0/16", "datacenter": "eu"},
//	 {"network": "2001:db8:1::/48", "datacenter": "eu", "site": {"code": "fra"}}]
//
// Where networks overlap, later entries win. The database goes to standard
// output, or to -out FILE. By default it has an IPv6 tree in which IPv4
// networks are also reachable as ::ffff:0:0/96 (MaxMind's IPv4 aliasing);
// -ip-version 4 writes an IPv4-only tree. Reserved ranges (RFC 1918, the
// documentation prefixes) are allowed, since test data lives there.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"strings"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

func main() {
	in := flag.String("in", "", "JSON description to read (default: standard input)")
	out := flag.String("out", "", "database file to write (default: standard output)")
	ipVersion := flag.Int("ip-version", 6, "6 for an IPv6 tree with IPv4 aliased, 4 for an IPv4-only tree")
	databaseType := flag.String("database-type", "Meridian-Test-GeoIP", "database_type written to the metadata")
	recordSize := flag.Int("record-size", 28, "search tree record size in bits: 24, 28 or 32")
	flag.Parse()
	if flag.NArg() != 0 {
		fail(fmt.Errorf("unexpected arguments %q", flag.Args()))
	}
	if err := run(*in, *out, *ipVersion, *databaseType, *recordSize); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "mmdb-writer: %v\n", err)
	os.Exit(1)
}

func run(inPath, outPath string, ipVersion int, databaseType string, recordSize int) error {
	input, err := readInput(inPath)
	if err != nil {
		return err
	}
	entries, err := parseEntries(input)
	if err != nil {
		return err
	}
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            databaseType,
		IPVersion:               ipVersion,
		RecordSize:              recordSize,
		IncludeReservedNetworks: true,
	})
	if err != nil {
		return err
	}
	for i, entry := range entries {
		if ipVersion == 4 && entry.network.IP.To4() == nil {
			return fmt.Errorf("entry %d: %s is IPv6 but -ip-version is 4", i, entry.network)
		}
		if err := tree.Insert(entry.network, entry.record); err != nil {
			return fmt.Errorf("entry %d (%s): %w", i, entry.network, err)
		}
	}
	var buffer bytes.Buffer
	if _, err := tree.WriteTo(&buffer); err != nil {
		return err
	}
	if outPath == "" {
		_, err = os.Stdout.Write(buffer.Bytes())
		return err
	}
	return os.WriteFile(outPath, buffer.Bytes(), 0o644)
}

func readInput(path string) ([]byte, error) {
	if path == "" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(path)
}

type entry struct {
	network *net.IPNet
	record  mmdbtype.Map
}

func parseEntries(input []byte) ([]entry, error) {
	decoder := json.NewDecoder(bytes.NewReader(input))
	// Numbers stay json.Number so that integers are written as integers.
	decoder.UseNumber()
	var raw []map[string]any
	if err := decoder.Decode(&raw); err != nil {
		return nil, fmt.Errorf("input is not a JSON array of objects: %w", err)
	}
	if decoder.More() {
		return nil, errors.New("input has data after the JSON array")
	}
	entries := make([]entry, 0, len(raw))
	for i, object := range raw {
		parsed, err := parseEntry(object)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		entries = append(entries, parsed)
	}
	return entries, nil
}

func parseEntry(object map[string]any) (entry, error) {
	text, ok := object["network"].(string)
	if !ok {
		return entry{}, errors.New(`"network" must be a CIDR string`)
	}
	ip, network, err := net.ParseCIDR(text)
	if err != nil {
		return entry{}, err
	}
	if !ip.Equal(network.IP) {
		return entry{}, fmt.Errorf("%s has host bits set (the network is %s)", text, network)
	}
	record := mmdbtype.Map{}
	for key, value := range object {
		if key == "network" {
			continue
		}
		converted, err := toMMDB(value)
		if err != nil {
			return entry{}, fmt.Errorf("field %q: %w", key, err)
		}
		record[mmdbtype.String(key)] = converted
	}
	if len(record) == 0 {
		return entry{}, fmt.Errorf("%s has no fields besides \"network\"", text)
	}
	return entry{network: network, record: record}, nil
}

func toMMDB(value any) (mmdbtype.DataType, error) {
	switch v := value.(type) {
	case string:
		return mmdbtype.String(v), nil
	case bool:
		return mmdbtype.Bool(v), nil
	case json.Number:
		return toNumber(v)
	case []any:
		slice := make(mmdbtype.Slice, 0, len(v))
		for i, item := range v {
			converted, err := toMMDB(item)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			slice = append(slice, converted)
		}
		return slice, nil
	case map[string]any:
		m := mmdbtype.Map{}
		for key, item := range v {
			converted, err := toMMDB(item)
			if err != nil {
				return nil, fmt.Errorf(".%s: %w", key, err)
			}
			m[mmdbtype.String(key)] = converted
		}
		return m, nil
	default:
		return nil, fmt.Errorf("unsupported JSON value %v (null is not allowed)", value)
	}
}

// Whole numbers become uint32 (or int32 when negative), the types MaxMind's
// own databases use for counts and codes; anything else becomes a double.
func toNumber(number json.Number) (mmdbtype.DataType, error) {
	if !strings.ContainsAny(number.String(), ".eE") {
		if n, err := number.Int64(); err == nil {
			switch {
			case n >= 0 && n <= math.MaxUint32:
				return mmdbtype.Uint32(n), nil
			case n >= math.MinInt32 && n < 0:
				return mmdbtype.Int32(n), nil
			}
		}
	}
	f, err := number.Float64()
	if err != nil {
		return nil, err
	}
	return mmdbtype.Float64(f), nil
}
