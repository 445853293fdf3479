{{- define "histream.labels" -}}
app.kubernetes.io/part-of: histream-farm
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "histream.redis" -}}
{{ .Release.Name }}-redis:6379
{{- end -}}
