{{/*
Names, labels and shared pod-spec fragments.

One store per namespace: component objects have fixed names (medusa, postgresql, redis), so
connection URLs are stable and names stay valid DNS-1035 labels even for store names that
start with a digit. Store identity lives in labels.
*/}}

{{- define "medusa.chart" -}}
{{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}
{{- end }}

{{- define "medusa.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "medusa.labels" -}}
{{ include "medusa.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: storeplane
helm.sh/chart: {{ include "medusa.chart" . }}
storeplane.dev/store: {{ .Values.store.name | quote }}
storeplane.dev/tenant: {{ .Values.store.tenant | quote }}
{{- end }}

{{/* Labels for one component: include with (dict "root" $ "component" "server"). */}}
{{- define "medusa.componentLabels" -}}
{{ include "medusa.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "medusa.componentSelector" -}}
{{ include "medusa.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* registry/repository:tag; include with (dict "root" $ "image" .Values.x.image). */}}
{{- define "medusa.image" -}}
{{- $registry := .root.Values.image.registry | trimSuffix "/" -}}
{{- if $registry -}}
{{ $registry }}/{{ .image.repository }}:{{ .image.tag }}
{{- else -}}
{{ .image.repository }}:{{ .image.tag }}
{{- end -}}
{{- end }}

{{- define "medusa.url" -}}
{{ ternary "https" "http" .Values.ingress.tls.enabled }}://{{ .Values.store.host }}
{{- end }}

{{/*
Key of the database migrations the server needs: changes with the Medusa image, the migration
command and the chart, not with resources or other settings. The migrations Job records it in
PostgreSQL when done; server and seed pods wait for it.
*/}}
{{- define "medusa.migrationMark" -}}
migrate-{{ toJson (list .Values.server.image .Values.migrations.command .Chart.Version) | sha256sum | trunc 12 }}
{{- end }}

{{/* Pod-level settings every pod of the chart shares. */}}
{{- define "medusa.podCommon" -}}
automountServiceAccountToken: false
{{ include "medusa.podPlacement" . }}
{{- end }}

{{/*
Pod settings without the service-account token choice: the seed pod, which needs its token to
store the publishable key, includes this directly.
*/}}
{{- define "medusa.podPlacement" -}}
enableServiceLinks: false
{{- with .Values.image.pullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Pod securityContext for an image whose non-root user is uid/gid .id. */}}
{{- define "medusa.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .id }}
runAsGroup: {{ .id }}
fsGroup: {{ .id }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "medusa.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{- define "medusa.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.store.credentialsSecret }}
      key: {{ .key }}
{{- end }}

{{/* libpq settings for psql / pg_isready in the small helper containers. */}}
{{- define "medusa.pgEnv" -}}
- name: PGHOST
  value: postgresql
- name: PGPORT
  value: "5432"
- name: PGDATABASE
  value: {{ .Values.postgresql.database | quote }}
- name: PGUSER
  value: {{ .Values.postgresql.user | quote }}
{{ include "medusa.secretEnv" (dict "root" . "name" "PGPASSWORD" "key" "database-password") }}
- name: PGCONNECT_TIMEOUT
  value: "5"
# These containers run as the Medusa uid, which has no passwd entry in the PostgreSQL image.
- name: HOME
  value: /tmp
{{- end }}

{{/* The environment of every container running the Medusa image (server, migrations, seed). */}}
{{- define "medusa.appEnv" -}}
{{- $url := include "medusa.url" . -}}
{{- $cors := join "," (concat (list $url) .Values.server.extraCorsOrigins) -}}
- name: NODE_ENV
  value: production
- name: HOME
  value: /tmp
- name: npm_config_cache
  value: /tmp/.npm
- name: NODE_OPTIONS
  value: {{ .Values.server.nodeOptions | quote }}
{{ include "medusa.secretEnv" (dict "root" . "name" "DATABASE_PASSWORD" "key" "database-password") }}
# The reconciler's database-password must be URL-safe: it is spliced into this URL.
- name: DATABASE_URL
  value: "postgres://{{ .Values.postgresql.user }}:$(DATABASE_PASSWORD)@postgresql:5432/{{ .Values.postgresql.database }}?sslmode={{ .Values.postgresql.sslMode }}"
- name: REDIS_URL
  value: redis://redis:6379
{{ include "medusa.secretEnv" (dict "root" . "name" "JWT_SECRET" "key" "jwt-secret") }}
{{ include "medusa.secretEnv" (dict "root" . "name" "COOKIE_SECRET" "key" "cookie-secret") }}
- name: MEDUSA_BACKEND_URL
  value: {{ $url | quote }}
- name: STORE_CORS
  value: {{ $cors | quote }}
- name: ADMIN_CORS
  value: {{ $cors | quote }}
- name: AUTH_CORS
  value: {{ $cors | quote }}
- name: MEDUSA_WORKER_MODE
  value: {{ .Values.server.workerMode | quote }}
- name: DISABLE_MEDUSA_ADMIN
  value: {{ (not .Values.server.admin.enabled) | toString | quote }}
- name: PORT
  value: "9000"
{{- with .Values.server.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* A small container of the PostgreSQL image running a shell snippet with libpq settings. */}}
{{- define "medusa.pgContainer" -}}
- name: {{ .name }}
  image: {{ include "medusa.image" (dict "root" .root "image" .root.Values.postgresql.image) }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  command: ["sh", "-c"]
  args:
    - |
      {{- .script | nindent 6 }}
  env:
    {{- include "medusa.pgEnv" .root | nindent 4 }}
    - name: MARK
      value: {{ .mark | quote }}
  resources:
    {{- toYaml .root.Values.helpers.resources | nindent 4 }}
  securityContext:
    {{- include "medusa.containerSecurityContext" .root | nindent 4 }}
  {{- with .mounts }}
  volumeMounts:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{- define "medusa.waitForMarkScript" -}}
until [ "$(psql -tAc "SELECT 1 FROM storeplane_setup_marks WHERE mark = '$MARK'" 2>/dev/null)" = "1" ]; do
  echo "waiting for database migrations ($MARK)"; sleep 3
done
{{- end }}

{{- define "medusa.recordMarkScript" -}}
psql -v ON_ERROR_STOP=1 -c "CREATE TABLE IF NOT EXISTS storeplane_setup_marks (mark text PRIMARY KEY, done_at timestamptz NOT NULL DEFAULT now())" \
  -c "INSERT INTO storeplane_setup_marks (mark) VALUES ('$MARK') ON CONFLICT (mark) DO NOTHING"
echo "recorded $MARK"
{{- end }}
