{{/*
Names, labels and shared pod-spec fragments.

One store per namespace: component objects have fixed names (wordpress, mariadb), so the
database host is stable and names stay valid DNS-1035 labels even for store names that
start with a digit. Store identity lives in labels.
*/}}

{{- define "woocommerce.chart" -}}
{{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}
{{- end }}

{{- define "woocommerce.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "woocommerce.labels" -}}
{{ include "woocommerce.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: storeplane
helm.sh/chart: {{ include "woocommerce.chart" . }}
storeplane.dev/store: {{ .Values.store.name | quote }}
storeplane.dev/tenant: {{ .Values.store.tenant | quote }}
{{- end }}

{{/* Labels for one component: include with (dict "root" $ "component" "wordpress"). */}}
{{- define "woocommerce.componentLabels" -}}
{{ include "woocommerce.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "woocommerce.componentSelector" -}}
{{ include "woocommerce.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* registry/repository:tag; include with (dict "root" $ "image" .Values.x.image). */}}
{{- define "woocommerce.image" -}}
{{- $registry := .root.Values.image.registry | trimSuffix "/" -}}
{{- if $registry -}}
{{ $registry }}/{{ .image.repository }}:{{ .image.tag }}
{{- else -}}
{{ .image.repository }}:{{ .image.tag }}
{{- end -}}
{{- end }}

{{- define "woocommerce.url" -}}
{{ ternary "https" "http" .Values.ingress.tls.enabled }}://{{ .Values.store.host }}
{{- end }}

{{- define "woocommerce.databaseHost" -}}
mariadb
{{- end }}

{{/* Pod-level settings every pod of the chart shares. */}}
{{- define "woocommerce.podCommon" -}}
automountServiceAccountToken: false
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
{{- define "woocommerce.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .id }}
runAsGroup: {{ .id }}
fsGroup: {{ .id }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "woocommerce.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{- define "woocommerce.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.store.credentialsSecret }}
      key: {{ .key }}
{{- end }}

{{/*
The environment the WordPress image's wp-config.php reads at runtime (getenv_docker), shared
by the web server and the WP-CLI setup Job so both see the same database and settings.
*/}}
{{- define "woocommerce.wordpressEnv" -}}
- name: WORDPRESS_DB_HOST
  value: "{{ include "woocommerce.databaseHost" . }}:3306"
- name: WORDPRESS_DB_NAME
  value: {{ .Values.database.name | quote }}
- name: WORDPRESS_DB_USER
  value: {{ .Values.database.user | quote }}
{{ include "woocommerce.secretEnv" (dict "root" . "name" "WORDPRESS_DB_PASSWORD" "key" "database-password") }}
- name: WORDPRESS_TABLE_PREFIX
  value: {{ .Values.wordpress.tablePrefix | quote }}
- name: WORDPRESS_CONFIG_EXTRA
  value: |
    define('WP_HOME', '{{ include "woocommerce.url" . }}');
    define('WP_SITEURL', '{{ include "woocommerce.url" . }}');
    define('FS_METHOD', 'direct');
    define('WP_MEMORY_LIMIT', '{{ .Values.wordpress.phpMemoryLimit }}');
    if (isset($_SERVER['HTTP_X_FORWARDED_PROTO']) && $_SERVER['HTTP_X_FORWARDED_PROTO'] === 'https') {
      $_SERVER['HTTPS'] = 'on';
    }
{{- end }}

{{/* Init container: block until MariaDB accepts the application user's login. */}}
{{- define "woocommerce.waitForDatabase" -}}
- name: wait-for-database
  image: {{ include "woocommerce.image" (dict "root" . "image" .Values.database.image) }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["sh", "-c"]
  args:
    - |
      until mariadb-admin ping --protocol=tcp --host="$DB_HOST" --user="$DB_USER" --silent; do
        echo "waiting for the database at $DB_HOST"; sleep 3
      done
  env:
    - name: DB_HOST
      value: {{ include "woocommerce.databaseHost" . | quote }}
    - name: DB_USER
      value: {{ .Values.database.user | quote }}
    # The client reads the password from MYSQL_PWD, keeping it out of the process list.
    {{- include "woocommerce.secretEnv" (dict "root" . "name" "MYSQL_PWD" "key" "database-password") | nindent 4 }}
  resources:
    {{- toYaml .Values.waitForDatabase.resources | nindent 4 }}
  securityContext:
    {{- include "woocommerce.containerSecurityContext" . | nindent 4 }}
{{- end }}
