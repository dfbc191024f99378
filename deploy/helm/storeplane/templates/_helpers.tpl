{{/*
Names, labels and the pod-spec fragments every storeplane pod shares.

Every pod runs the same image with a different command; every one meets the `restricted` Pod
Security Standard (non-root, no privilege escalation, all capabilities dropped, RuntimeDefault
seccomp, read-only root filesystem with an emptyDir for its data directory and /tmp).
*/}}

{{- define "storeplane.fullname" -}}
{{- if eq .Release.Name .Chart.Name -}}{{ .Chart.Name }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- end }}

{{- define "storeplane.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "storeplane.labels" -}}
{{ include "storeplane.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: storeplane
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* include with (dict "root" $ "component" "api") */}}
{{- define "storeplane.componentLabels" -}}
{{ include "storeplane.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "storeplane.componentSelector" -}}
{{ include "storeplane.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "storeplane.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "storeplane.reconcilerServiceAccount" -}}
{{ include "storeplane.fullname" . }}-reconciler
{{- end }}

{{- define "storeplane.apiServiceAccount" -}}
{{ include "storeplane.fullname" . }}-api
{{- end }}

{{/* The ClusterRole each store namespace binds to the API: `get` of the store's credentials
Secret only, for `revealStoreCredentials` (see rbac.yaml). */}}
{{- define "storeplane.credentialsRole" -}}
{{ include "storeplane.fullname" . }}-store-credentials
{{- end }}

{{/* The ClusterRole each store namespace binds to the reconciler (see rbac.yaml). */}}
{{- define "storeplane.storeRole" -}}
{{ include "storeplane.fullname" . }}-store
{{- end }}

{{- define "storeplane.databaseSecret" -}}
{{- if .Values.postgresql.enabled -}}
{{ include "storeplane.fullname" . }}-database
{{- else if .Values.database.existingSecret -}}
{{ .Values.database.existingSecret }}
{{- else -}}
{{ fail "database.existingSecret must name a Secret holding DATABASE_URL (or set postgresql.enabled=true to run PostgreSQL in the chart, for evaluation only)" }}
{{- end -}}
{{- end }}

{{- define "storeplane.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "storeplane.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end }}

{{/* What every storeplane container needs: the database, a writable data dir and /tmp. */}}
{{- define "storeplane.env" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "storeplane.databaseSecret" . }}
      key: {{ if .Values.postgresql.enabled }}DATABASE_URL{{ else }}{{ .Values.database.secretKey }}{{ end }}
- name: STOREPLANE_DATA_DIR
  value: /var/lib/storeplane
- name: HOME
  value: /tmp
- name: PYTHONDONTWRITEBYTECODE
  value: "1"
{{- with .Values.kubernetesServiceHost }}
- name: KUBERNETES_SERVICE_HOST
  value: {{ . | quote }}
{{- end }}
{{- end }}

{{- define "storeplane.volumeMounts" -}}
- name: data
  mountPath: /var/lib/storeplane
- name: tmp
  mountPath: /tmp
{{- end }}

{{- define "storeplane.volumes" -}}
- name: data
  emptyDir: {}
- name: tmp
  emptyDir: {}
{{- end }}

{{- define "storeplane.scheduling" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
