//! The offline qualifier: the rule-based bilingual extractor of `lead-nlu`, behind the domain port.

use lead_domain::ports::OfflineExtractor;
use std::sync::Arc;

/// The offline extractor of this build: reads every qualification field without a model.
pub fn offline_extractor() -> Arc<dyn OfflineExtractor> {
    Arc::new(lead_nlu::OfflineRules)
}
