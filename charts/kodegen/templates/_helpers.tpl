{{/* Labels of every object. */}}
{{- define "kodegen.labels" -}}
app.kubernetes.io/name: kodegen
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The operator's pod selector (stable across upgrades). */}}
{{- define "kodegen.selector" -}}
app.kubernetes.io/name: kodegen
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* An image reference from {repository, tag, digest}; a digest wins over a tag, an empty tag
is the chart's appVersion. */}}
{{- define "kodegen.imageRef" -}}
{{- if .image.digest -}}
{{ .image.repository }}@{{ .image.digest }}
{{- else -}}
{{ .image.repository }}:{{ .image.tag | default .appVersion }}
{{- end -}}
{{- end -}}

{{- define "kodegen.operatorImage" -}}
{{- include "kodegen.imageRef" (dict "image" .Values.image "appVersion" .Chart.AppVersion) -}}
{{- end -}}

{{/* The Job's image: job.image if it names a repository, else the operator's. */}}
{{- define "kodegen.jobImage" -}}
{{- if .Values.job.image.repository -}}
{{- include "kodegen.imageRef" (dict "image" .Values.job.image "appVersion" .Chart.AppVersion) -}}
{{- else -}}
{{- include "kodegen.operatorImage" . -}}
{{- end -}}
{{- end -}}

{{/* The rules the operator needs in each namespace it serves (deploy/rbac.yaml). */}}
{{- define "kodegen.namespacedRules" -}}
# The resources it reconciles: kopf patches (finalizer, progress), never updates; status only.
- apiGroups: [kodegen.dev]
  resources: [codegenerations]
  verbs: [get, list, watch, patch]
- apiGroups: [kodegen.dev]
  resources: [codegenerations/status]
  verbs: [get, patch, update]
# ownerReferences with blockOwnerDeletion (OwnerReferencesPermissionEnforcement).
- apiGroups: [kodegen.dev]
  resources: [codegenerations/finalizers]
  verbs: [update]
- apiGroups: [kodegen.dev]
  resources: [codetemplates]
  verbs: [get, list, watch, patch]
- apiGroups: [kodegen.dev]
  resources: [codetemplates/status]
  verbs: [get, patch]
# Git credentials of template sources (secretRef).
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
# Frozen requests, results, generated code.
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [batch]
  resources: [jobs]
  verbs: [get, list, watch, create, delete]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
# The Job's ServiceAccount and its RoleBinding to ClusterRole kodegen-job, per namespace.
- apiGroups: [""]
  resources: [serviceaccounts]
  verbs: [create]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [rolebindings]
  verbs: [create]
{{- end -}}

{{/* The rules on cluster-scoped kinds (every install). */}}
{{- define "kodegen.clusterRules" -}}
- apiGroups: [kodegen.dev]
  resources: [clustercodetemplates]
  verbs: [get, list, watch, patch]
- apiGroups: [kodegen.dev]
  resources: [clustercodetemplates/status]
  verbs: [get, patch]
# kopf itself: its namespace observer, its scan of CRDs, cluster peering.
- apiGroups: [""]
  resources: [namespaces]
  verbs: [list, watch]
- apiGroups: [apiextensions.k8s.io]
  resources: [customresourcedefinitions]
  verbs: [list, watch]
- apiGroups: [kopf.dev]
  resources: [clusterkopfpeerings]
  verbs: [get, list, watch, patch]
{{- end -}}

{{/* Egress to the Kubernetes API server and DNS (NetworkPolicyEgressRule list). */}}
{{- define "kodegen.apiServerEgress" -}}
# The Kubernetes API server (and DNS to find it and everything else).
- ports:
    {{- range .Values.networkPolicy.apiServerPorts }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with .Values.networkPolicy.apiServerCIDRs }}
  to:
    {{- range . }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  {{- end }}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end -}}
