{{/* Object name: the release name (one release per service). */}}
{{- define "tw.fullname" -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- end -}}

{{- define "tw.selectorLabels" -}}
app.kubernetes.io/name: {{ .Values.name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selects the long-running pods only (CronJob pods carry component=job). */}}
{{- define "tw.serverSelector" -}}
{{ include "tw.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "tw.labels" -}}
{{ include "tw.selectorLabels" . }}
app.kubernetes.io/part-of: tradewire
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "tw.image" -}}
{{- $repo := .Values.image.repository | default (printf "ghcr.io/tradewire/%s" .Values.name) -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" $repo .Values.image.tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo .Values.image.tag -}}
{{- end -}}
{{- end -}}

{{/* Every environment variable that lands in the ConfigMap. */}}
{{- define "tw.configEnv" -}}
{{- $env := merge (dict) .Values.env .Values.sharedEnv -}}
{{- $_ := set $env "HTTP_PORT" (toString .Values.httpPort) -}}
{{- $_ := set $env "SHUTDOWN_TIMEOUT_MS" (toString .Values.shutdown.timeoutMs) -}}
{{- toYaml $env -}}
{{- end -}}

{{/* Intervals the long-running kline-extractor keeps up (its INTERVALS default is 1m). */}}
{{- define "tw.daemonIntervals" -}}
{{- $env := merge (dict) .Values.env .Values.sharedEnv -}}
{{- $list := list -}}
{{- range (splitList "," (get $env "INTERVALS" | default "1m")) -}}
{{- $list = append $list (trim .) -}}
{{- end -}}
{{- toJson $list -}}
{{- end -}}

{{/*
Render-time guards: a bad combination fails `helm template`/`helm install` with one clear line.
The schema covers shapes; these cover relations between values.
*/}}
{{- define "tw.validate" -}}
{{- $v := .Values -}}
{{- $env := merge (dict) $v.env $v.sharedEnv -}}
{{- $ipOrLocal := `(^|[/@,])(\[[0-9a-fA-F:.]+\]|[0-9]{1,3}(\.[0-9]{1,3}){3})(:[0-9]+)?($|[,/])|localhost` -}}
{{- range $key, $val := $env -}}
{{- if and (hasSuffix "_URL" $key) (regexMatch $ipOrLocal $val) -}}
{{- fail (printf "F32: %s=%q points at an IP address or localhost; use the Kubernetes service DNS name (e.g. nats://nats.nats.svc.cluster.local:4222)" $key $val) -}}
{{- end -}}
{{- if regexMatch `(?i)(SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIALS)` $key -}}
{{- fail (printf "%s looks like a secret: put it in secretEnv (a secretKeyRef to an existing Secret), never in env/sharedEnv" $key) -}}
{{- end -}}
{{- if regexMatch `^[a-z][a-z0-9+.-]*://[^/@:\s]+:[^/@\s]+@` $val -}}
{{- fail (printf "%s carries a password in its URL: move it to secretEnv (a secretKeyRef to an existing Secret)" $key) -}}
{{- end -}}
{{- end -}}
{{- if not (hasKey $env "NATS_URL") -}}
{{- fail "sharedEnv.NATS_URL is required (nats://nats.nats.svc.cluster.local:4222)" -}}
{{- end -}}
{{- range $key, $_ := $v.secretEnv -}}
{{- if hasKey $env $key -}}
{{- fail (printf "%s is set both in env and in secretEnv; keep only the secretEnv entry" $key) -}}
{{- end -}}
{{- end -}}
{{- /* terminationGracePeriodSeconds above the shutdown deadlines */ -}}
{{- $needMs := add (mul $v.shutdown.timeoutMs $v.shutdown.stages) (mul $v.shutdown.preStopSleepSeconds 1000) -}}
{{- if le (mul $v.terminationGracePeriodSeconds 1000) $needMs -}}
{{- fail (printf "terminationGracePeriodSeconds %d must exceed preStopSleepSeconds + shutdown.timeoutMs x shutdown.stages = %dms, or the kubelet SIGKILLs a shutdown in progress" (int $v.terminationGracePeriodSeconds) (int $needMs)) -}}
{{- end -}}
{{- /* replica model */ -}}
{{- $w := $v.workload -}}
{{- if and $v.autoscaling.enabled (ne $w.replicaPolicy "scalable") -}}
{{- fail (printf "autoscaling is only allowed with workload.replicaPolicy=scalable (%s is %s)" $v.name $w.replicaPolicy) -}}
{{- end -}}
{{- if and $v.autoscaling.enabled (not $w.enabled) -}}
{{- fail "F36: autoscaling.enabled without a workload would leave an orphan HorizontalPodAutoscaler" -}}
{{- end -}}
{{- if and (eq $w.replicaPolicy "single") (gt (int $w.replicas) 1) -}}
{{- fail (printf "%s is single-active (workload.replicaPolicy=single): replicas must be 0 or 1, got %d" $v.name (int $w.replicas)) -}}
{{- end -}}
{{- if and (eq $w.replicaPolicy "sharded") (ne $w.kind "StatefulSet") -}}
{{- fail "workload.replicaPolicy=sharded needs workload.kind=StatefulSet (the shard index is the pod ordinal)" -}}
{{- end -}}
{{- if and (eq $v.name "market-relay") (ne $w.replicaPolicy "single") (ne $w.replicaPolicy "leader-elected") -}}
{{- fail "market-relay must have a single active publisher: workload.replicaPolicy single or leader-elected" -}}
{{- end -}}
{{- if and $v.autoscaling.enabled (lt (int $v.autoscaling.maxReplicas) (int $v.autoscaling.minReplicas)) -}}
{{- fail "autoscaling.maxReplicas must be >= autoscaling.minReplicas" -}}
{{- end -}}
{{- /* trade-engine modes */ -}}
{{- $mode := get $env "TRADING_MODE" | default "paper" -}}
{{- if and (has $mode (list "testnet" "live")) (not (and (hasKey $v.secretEnv "BINANCE_API_KEY") (hasKey $v.secretEnv "BINANCE_API_SECRET"))) -}}
{{- fail (printf "TRADING_MODE=%s needs BINANCE_API_KEY and BINANCE_API_SECRET in secretEnv" $mode) -}}
{{- end -}}
{{- if and (eq $mode "live") (ne (get $env "LIVE_TRADING_CONFIRM") "yes") -}}
{{- fail "TRADING_MODE=live needs env.LIVE_TRADING_CONFIRM=\"yes\"" -}}
{{- end -}}
{{- if and (has $mode (list "testnet" "live")) (not $v.networkPolicy.egress.binance) -}}
{{- fail (printf "F37: TRADING_MODE=%s calls Binance but networkPolicy.egress.binance is false" $mode) -}}
{{- end -}}
{{- /* F37: every dependency named in the environment is reachable through the NetworkPolicy */ -}}
{{- if $v.networkPolicy.enabled -}}
{{- $deps := dict "NATS_URL" "nats" "REDIS_URL" "redis" "DATABASE_URL" "postgres" -}}
{{- range $var, $dep := $deps -}}
{{- if and (or (hasKey $env $var) (hasKey $v.secretEnv $var)) (not (get $v.networkPolicy.egress $dep)) -}}
{{- fail (printf "F37: %s is configured but networkPolicy.egress.%s is false, so the NetworkPolicy would silently block it" $var $dep) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /* F36: kline-extractor CronJobs never duplicate the long-running Deployment */ -}}
{{- $x := $v.extractor -}}
{{- if and (or $x.incremental $x.gapFill.enabled) (ne $v.name "kline-extractor") -}}
{{- fail "extractor.incremental / extractor.gapFill are for kline-extractor only" -}}
{{- end -}}
{{- if and (or $x.incremental $x.gapFill.enabled) (not $x.symbols) -}}
{{- fail "extractor.symbols is required for the extraction CronJobs" -}}
{{- end -}}
{{- if and $x.gapFill.enabled (not $x.gapFill.intervals) -}}
{{- fail "extractor.gapFill.enabled needs extractor.gapFill.intervals" -}}
{{- end -}}
{{- $seen := dict -}}
{{- range $x.incremental -}}
{{- if hasKey $seen .interval -}}
{{- fail (printf "F36: extractor.incremental lists interval %s twice" .interval) -}}
{{- end -}}
{{- $_ := set $seen .interval true -}}
{{- end -}}
{{- if and $w.enabled (gt (int $w.replicas) 0) (eq $v.name "kline-extractor") -}}
{{- $daemon := include "tw.daemonIntervals" . | fromJsonArray -}}
{{- range $x.incremental -}}
{{- if has .interval $daemon -}}
{{- fail (printf "F36: interval %s is extracted both by the long-running Deployment (env INTERVALS=%s) and by an incremental CronJob; disable one (workload.enabled=false, or drop it from INTERVALS or extractor.incremental)" .interval (join "," $daemon)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The pod spec shared by the long-running workload and the CronJobs. */}}
{{- define "tw.podSpec" -}}
{{- $v := .root.Values -}}
serviceAccountName: {{ include "tw.fullname" .root }}
automountServiceAccountToken: false
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
{{- if .job }}
restartPolicy: Never
{{- end }}
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  fsGroup: 10001
  seccompProfile:
    type: RuntimeDefault
containers:
  - name: {{ $v.name }}
    image: {{ include "tw.image" .root | quote }}
    imagePullPolicy: {{ $v.image.pullPolicy }}
    {{- with .args }}
    args:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    ports:
      - name: http
        containerPort: {{ $v.httpPort }}
        protocol: TCP
    envFrom:
      - configMapRef:
          name: {{ include "tw.fullname" .root }}-env
      {{- range $v.envFromSecrets }}
      - secretRef:
          name: {{ . }}
      {{- end }}
    {{- if or $v.secretEnv $v.podNameEnv (eq $v.workload.replicaPolicy "sharded") }}
    env:
      {{- range $name, $ref := $v.secretEnv }}
      - name: {{ $name }}
        valueFrom:
          secretKeyRef:
            name: {{ $ref.secretName }}
            key: {{ $ref.key }}
            {{- if $ref.optional }}
            optional: true
            {{- end }}
      {{- end }}
      {{- range $v.podNameEnv }}
      - name: {{ . }}
        valueFrom:
          fieldRef:
            fieldPath: metadata.name
      {{- end }}
      {{- if and (eq $v.workload.replicaPolicy "sharded") (not .job) }}
      - name: SHARD_INDEX
        valueFrom:
          fieldRef:
            fieldPath: metadata.labels['apps.kubernetes.io/pod-index']
      - name: SHARD_COUNT
        value: {{ $v.workload.replicas | quote }}
      {{- end }}
    {{- end }}
    {{- if not .job }}
    startupProbe:
      httpGet:
        path: /healthz
        port: http
      periodSeconds: {{ $v.probes.startup.periodSeconds }}
      timeoutSeconds: {{ $v.probes.startup.timeoutSeconds }}
      failureThreshold: {{ $v.probes.startup.failureThreshold }}
    livenessProbe:
      httpGet:
        path: /healthz
        port: http
      periodSeconds: {{ $v.probes.liveness.periodSeconds }}
      timeoutSeconds: {{ $v.probes.liveness.timeoutSeconds }}
      failureThreshold: {{ $v.probes.liveness.failureThreshold }}
    readinessProbe:
      httpGet:
        path: /ready
        port: http
      periodSeconds: {{ $v.probes.readiness.periodSeconds }}
      timeoutSeconds: {{ $v.probes.readiness.timeoutSeconds }}
      failureThreshold: {{ $v.probes.readiness.failureThreshold }}
    {{- if $v.shutdown.preStopSleepSeconds }}
    lifecycle:
      preStop:
        exec:
          command: ["sleep", "{{ $v.shutdown.preStopSleepSeconds }}"]
    {{- end }}
    {{- end }}
    resources:
      {{- toYaml $v.resources | nindent 6 }}
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      runAsNonRoot: true
      privileged: false
      capabilities:
        drop: ["ALL"]
    volumeMounts:
      - name: tmp
        mountPath: /tmp
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ $v.tmpSizeLimit }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if not .job }}
{{- with $v.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "tw.podMeta" -}}
labels:
  {{- include "tw.labels" .root | nindent 2 }}
  app.kubernetes.io/component: {{ .component }}
  {{- with .root.Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
annotations:
  checksum/config: {{ include "tw.configEnv" .root | sha256sum }}
  {{- with .root.Values.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}
