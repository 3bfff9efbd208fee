package v1alpha1

import (
	"errors"
	"fmt"
)

// MaxApplications is the most applications one render takes: far more
// than a cluster's teams onboard, few enough to keep a render to
// seconds.
const MaxApplications = 5000

// DecodeApplications reads the Applications of one YAML or JSON file,
// documents separated by "---", as strictly as Decode reads a Mesh and
// under the same limits: every unknown, duplicate or mistyped field of
// every document is reported at once, each path prefixed with its
// document's number when the file holds several. It does not default or
// validate. A file of no document holds no application.
func DecodeApplications(data []byte) ([]Application, error) {
	if len(data) > MaxConfigBytes {
		return nil, fmt.Errorf("application file is %d bytes; the limit is %d (%d MiB)", len(data), MaxConfigBytes, MaxConfigBytes>>20)
	}
	if err := CheckSeparators(data); err != nil {
		return nil, err
	}
	var docs [][]byte
	for _, d := range splitDocuments(data) {
		if len(stripComments(d)) > 0 {
			docs = append(docs, d)
		}
	}
	if len(docs) > MaxApplications {
		return nil, fmt.Errorf("application file holds %d documents; the limit is %d", len(docs), MaxApplications)
	}
	out := make([]Application, len(docs))
	var all problems
	var errs []error
	for i, doc := range docs {
		err := decodeDocument(doc, "application", ApplicationKind, &out[i])
		if err == nil {
			continue
		}
		var verr *ValidationError
		if !errors.As(err, &verr) {
			if len(docs) > 1 {
				err = fmt.Errorf("document %d: %w", i+1, err)
			}
			errs = append(errs, err)
			continue
		}
		for _, fe := range verr.Errors {
			if len(docs) > 1 {
				fe.Field = fmt.Sprintf("(document %d) %s", i+1, fe.Field)
			}
			all = append(all, fe)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(append(errs, all.err())...)
	}
	if err := all.err(); err != nil {
		return nil, err
	}
	return out, nil
}
