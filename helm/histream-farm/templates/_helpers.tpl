{{/* Chart name. */}}
{{- define "histream.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped base name of every object. */}}
{{- define "histream.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels of every object, less the selector labels. */}}
{{- define "histream.commonLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/part-of: histream-farm
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels of an object that belongs to no component. */}}
{{- define "histream.labels" -}}
{{ include "histream.commonLabels" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of a component's object: include "histream.componentLabels" (list . "silo") */}}
{{- define "histream.componentLabels" -}}
{{ include "histream.commonLabels" (index . 0) }}
{{ include "histream.selectorLabels" . }}
{{- end }}

{{/* Selector labels of one component: include "histream.selectorLabels" (list . "silo") */}}
{{- define "histream.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "histream.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}


{{/* The Secret with the Azure Storage connection string, and its key. */}}
{{- define "histream.storageSecretName" -}}
{{- if .Values.storage.existingSecret }}
{{- .Values.storage.existingSecret }}
{{- else }}
{{- printf "%s-storage" (include "histream.fullname" .) }}
{{- end }}
{{- end }}

{{- define "histream.storageSecretKey" -}}
{{- if .Values.storage.existingSecret }}
{{- .Values.storage.existingSecretKey }}
{{- else }}
{{- "connectionString" }}
{{- end }}
{{- end }}

{{/* The Secret with the password of the chart's Redis (key "password"). */}}
{{- define "histream.redisSecretName" -}}
{{- if .Values.redis.auth.existingSecret }}
{{- .Values.redis.auth.existingSecret }}
{{- else }}
{{- printf "%s-redis" (include "histream.fullname" .) }}
{{- end }}
{{- end }}

{{/* Orleans__RedisPassword for silo and gateway, when the chart runs Redis. */}}
{{- define "histream.redisPasswordEnv" -}}
{{- if .Values.redis.enabled }}
- name: Orleans__RedisPassword
  valueFrom:
    secretKeyRef:
      name: {{ include "histream.redisSecretName" . }}
      key: password
{{- end }}
{{- end }}

{{/* Orleans:Redis: the chart's Redis, or an existing one. */}}
{{- define "histream.redisConnection" -}}
{{- if .Values.redis.enabled }}
{{- printf "%s-redis:6379" (include "histream.fullname" .) }}
{{- else }}
{{- required "redis.external is required when redis.enabled is false" .Values.redis.external }}
{{- end }}
{{- end }}

{{/* Pod security context shared by silo and gateway (the .NET images' app user). */}}
{{- define "histream.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1654
runAsGroup: 1654
fsGroup: 1654
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "histream.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{/* An HTTP probe: include "histream.httpProbe" (list "/healthz" .Values.silo.probes.liveness) */}}
{{- define "histream.httpProbe" -}}
{{- $probe := index . 1 -}}
httpGet:
  path: {{ index . 0 }}
  port: http
periodSeconds: {{ $probe.periodSeconds }}
{{- if $probe.timeoutSeconds }}
timeoutSeconds: {{ $probe.timeoutSeconds }}
{{- end }}
failureThreshold: {{ $probe.failureThreshold }}
{{- end }}

{{/* The Secret with the gateway's API keys (environment variables Gateway__Auth__Keys__N__*). */}}
{{- define "histream.gatewayKeysSecretName" -}}
{{- if .Values.gateway.auth.existingSecret }}
{{- .Values.gateway.auth.existingSecret }}
{{- else }}
{{- printf "%s-gateway-keys" (include "histream.fullname" .) }}
{{- end }}
{{- end }}
