package gitops

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The Flux and Argo CD objects the writer produces, as typed structs
// holding just the fields it sets. Their full Go modules would pull in
// both controllers' dependency trees; the end-to-end tests check these
// against the real CRDs instead.

// GitRepository is a Flux source.toolkit.fluxcd.io/v1 GitRepository.
type GitRepository struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              GitRepositorySpec `json:"spec"`
}

// GitRepositorySpec is the part of the spec the writer sets.
type GitRepositorySpec struct {
	URL       string           `json:"url"`
	Ref       GitRepositoryRef `json:"ref"`
	Interval  string           `json:"interval"`
	SecretRef *LocalReference  `json:"secretRef,omitempty"`
}

// GitRepositoryRef selects the branch to follow.
type GitRepositoryRef struct {
	Branch string `json:"branch"`
}

// LocalReference names an object in the same namespace.
type LocalReference struct {
	Name string `json:"name"`
}

// FluxKustomization is a Flux kustomize.toolkit.fluxcd.io/v1 Kustomization.
type FluxKustomization struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              FluxKustomizationSpec `json:"spec"`
}

// FluxKustomizationSpec is the part of the spec the writer sets.
type FluxKustomizationSpec struct {
	Interval      string          `json:"interval"`
	RetryInterval string          `json:"retryInterval,omitempty"`
	Timeout       string          `json:"timeout,omitempty"`
	Path          string          `json:"path"`
	Prune         bool            `json:"prune"`
	Wait          bool            `json:"wait"`
	SourceRef     SourceReference `json:"sourceRef"`
	DependsOn     []DependsOn     `json:"dependsOn,omitempty"`
	// HealthChecks are checked instead of everything applied when Wait
	// is false.
	HealthChecks []HealthCheck `json:"healthChecks,omitempty"`
}

// HealthCheck names an object whose readiness a Kustomization waits for.
type HealthCheck struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Namespace  string `json:"namespace,omitempty"`
}

// SourceReference points a Kustomization at its source.
type SourceReference struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// DependsOn names a Kustomization that must be ready first.
type DependsOn struct {
	Name string `json:"name"`
}

// Application is an Argo CD argoproj.io/v1alpha1 Application.
type Application struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ApplicationSpec `json:"spec"`
}

// ApplicationSpec is the part of the spec the writer sets.
type ApplicationSpec struct {
	Project           string                 `json:"project"`
	Source            ApplicationSource      `json:"source"`
	Destination       ApplicationDestination `json:"destination"`
	SyncPolicy        SyncPolicy             `json:"syncPolicy"`
	IgnoreDifferences []ResourceIgnoreDiffs  `json:"ignoreDifferences,omitempty"`
}

// ApplicationSource is where an Application's manifests are.
type ApplicationSource struct {
	RepoURL        string `json:"repoURL"`
	TargetRevision string `json:"targetRevision"`
	Path           string `json:"path"`
}

// ApplicationDestination is the cluster an Application deploys to.
type ApplicationDestination struct {
	Server string `json:"server"`
}

// SyncPolicy says how Argo CD syncs.
type SyncPolicy struct {
	Automated   *SyncPolicyAutomated `json:"automated,omitempty"`
	SyncOptions []string             `json:"syncOptions,omitempty"`
	Retry       *RetryStrategy       `json:"retry,omitempty"`
}

// SyncPolicyAutomated turns on automatic sync.
type SyncPolicyAutomated struct {
	Prune    bool `json:"prune"`
	SelfHeal bool `json:"selfHeal"`
}

// RetryStrategy retries failed syncs, as a layer waits for the one before.
type RetryStrategy struct {
	Limit   int64    `json:"limit"`
	Backoff *Backoff `json:"backoff,omitempty"`
}

// Backoff spaces out retries.
type Backoff struct {
	Duration    string `json:"duration"`
	Factor      *int64 `json:"factor,omitempty"`
	MaxDuration string `json:"maxDuration"`
}

// ResourceIgnoreDiffs tells Argo CD which live changes are expected.
type ResourceIgnoreDiffs struct {
	Group             string   `json:"group,omitempty"`
	Kind              string   `json:"kind"`
	JQPathExpressions []string `json:"jqPathExpressions,omitempty"`
}

// ConfigManagementPlugin is the plugin.yaml of an Argo CD config
// management plugin sidecar; it is read from a file, not applied.
type ConfigManagementPlugin struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              PluginSpec `json:"spec"`
}

// PluginSpec is what the sidecar runs.
type PluginSpec struct {
	Discover PluginDiscover `json:"discover"`
	Generate PluginCommand  `json:"generate"`
}

// PluginDiscover says which applications the plugin serves.
type PluginDiscover struct {
	FileName string `json:"fileName"`
}

// PluginCommand is a command the sidecar runs in the application's
// directory.
type PluginCommand struct {
	Command []string `json:"command"`
	Args    []string `json:"args,omitempty"`
}
