{{/*
Names and labels, the usual Helm way: the release name alone when it already
contains the chart's name (release "meridian" gives "meridian"), else both.
*/}}
{{- define "meridian.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "meridian.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "meridian.selectorLabels" -}}
app.kubernetes.io/name: {{ include "meridian.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "meridian.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "meridian.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: meridian
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Ports inside the Pod. CoreDNS and Meridian share its network namespace, so
they must differ; values.schema.json keeps k8gb.metricsAddress off CoreDNS's.
5353 rather than 53: binding below 1024 would need NET_BIND_SERVICE, and the
DNS Service maps port 53 to it (as k8gb's chart does).
*/}}
{{- define "meridian.corednsDnsPort" -}}5353{{- end }}
{{- define "meridian.corednsHealthPort" -}}8081{{- end }}
{{- define "meridian.corednsReadyPort" -}}8181{{- end }}
{{- define "meridian.corednsMetricsPort" -}}9153{{- end }}
{{- define "meridian.metricsPort" -}}
{{- regexFind "[0-9]+$" .Values.k8gb.metricsAddress }}
{{- end }}

{{/*
CoreDNS reaches Meridian over a unix socket in an emptyDir both containers
mount: no TCP port to expose or to protect, and no TLS needed.
*/}}
{{- define "meridian.socketDir" -}}/run/meridian{{- end }}
{{- define "meridian.socketPath" -}}{{ include "meridian.socketDir" . }}/meridian.sock{{- end }}

{{/*
k8gb's DNS_ZONES format, PARENT:ZONE:NEGTTL;..., with k8gb's default negative
TTL (300) when a zone omits it. A zone outside its parent fails the render
here rather than Meridian's start-up later.
*/}}
{{- define "meridian.dnsZones" -}}
{{- $zones := list }}
{{- range .Values.k8gb.dnsZones }}
{{- $parent := .parentZone | lower | trimSuffix "." }}
{{- $zone := .loadBalancedZone | lower | trimSuffix "." }}
{{- if not (hasSuffix (printf ".%s" $parent) $zone) }}
{{- fail (printf "k8gb.dnsZones: %s is not inside its parentZone %s" $zone $parent) }}
{{- end }}
{{- $negTtl := 300 }}
{{- if hasKey . "dnsZoneNegTTL" }}{{ $negTtl = .dnsZoneNegTTL }}{{ end }}
{{- $zones = append $zones (printf "%s:%s:%v" $parent $zone (int64 $negTtl)) }}
{{- end }}
{{- join ";" $zones }}
{{- end }}

{{/* A list or a comma-separated string, as one comma-separated string. */}}
{{- define "meridian.commaList" -}}
{{- if kindIs "slice" . }}{{ join "," . }}{{ else }}{{ . }}{{ end }}
{{- end }}

{{/*
The edge DNS servers as NetworkPolicy peers: IP, IP:PORT, IPv6 or [IPv6]:PORT
(EDGE_DNS_SERVERS' forms), each a one-address CIDR with its port (53 when
none is given), as a JSON list of {cidr, port}.
*/}}
{{- define "meridian.edgeDnsPeers" -}}
{{- $peers := list }}
{{- range .Values.k8gb.edgeDNSServers }}
{{- $host := . }}
{{- $port := 53 }}
{{- if hasPrefix "[" . }}
{{- $host = regexReplaceAll "^\\[([^\\]]+)\\].*$" . "${1}" }}
{{- if regexMatch "\\]:[0-9]+$" . }}{{ $port = regexFind "[0-9]+$" . | int }}{{ end }}
{{- else if eq (len (splitList ":" .)) 2 }}
{{- $host = first (splitList ":" .) }}
{{- $port = last (splitList ":" .) | int }}
{{- end }}
{{- $cidr := ternary (printf "%s/128" $host) (printf "%s/32" $host) (contains ":" $host) }}
{{- $peers = append $peers (dict "cidr" $cidr "port" $port) }}
{{- end }}
{{- toJson $peers }}
{{- end }}
