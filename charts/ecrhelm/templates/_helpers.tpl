{{- define "ecrhelm.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ecrhelm.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ecrhelm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ecrhelm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end -}}

{{- define "ecrhelm.labels" -}}
{{ include "ecrhelm.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "ecrhelm.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ecrhelm.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "ecrhelm.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Leader election: on when asked, and required with more than one replica. */}}
{{- define "ecrhelm.leaderElect" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) -}}
{{- fail "leaderElection.enabled=false with replicaCount > 1: the replicas would all write the same secrets; set leaderElection.enabled=true or replicaCount=1" -}}
{{- end -}}
{{- if .Values.leaderElection.enabled -}}true{{- end -}}
{{- end -}}

{{/* The controller's permissions where it watches (ClusterRole or Role rules). */}}
{{- define "ecrhelm.watchRules" -}}
- apiGroups: [external-secrets.io]
  resources: [externalsecrets]
  verbs: [get, list, watch]
- apiGroups: [external-secrets.io]
  resources: [externalsecrets/status]
  verbs: [get, update, patch]
# Owner references with blockOwnerDeletion on created Secrets (creationPolicy Owner).
- apiGroups: [external-secrets.io]
  resources: [externalsecrets/finalizers]
  verbs: [update]
- apiGroups: [generators.external-secrets.io]
  resources: [ecrauthorizationtokens]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create, update, patch]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
# auth.jwt.serviceAccountRef: read the role annotation, then TokenRequest.
- apiGroups: [""]
  resources: [serviceaccounts]
  verbs: [get]
- apiGroups: [""]
  resources: [serviceaccounts/token]
  verbs: [create]
{{- if ne .Values.controller.argocdRefresh "none" }}
# --argocd-refresh: annotate Applications that use a rotated repository.
- apiGroups: [argoproj.io]
  resources: [applications]
  verbs: [get, list, patch]
{{- end }}
{{- end -}}
