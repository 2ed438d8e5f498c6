use lead_llm::prompt::{estimate_tokens, qualification_prompt, routing_prompt};
use lead_llm::*;
#[test]
fn measure() {
    let facts = TenantFacts { business_name: "Gulf Homes".into(), industry: "real_estate".into(), brand_voice: "Warm and brief.".into(), currency: "SAR".into(),
        services: ["buy_apartment","buy_villa","rent_residential","sell_property","commercial","land"].iter().map(|k| ServiceEntry{key: (*k).into(), description: "buying an apartment / flat".into()}).collect() };
    let ctx = TurnContext { today: "2026-11-24".into(), language: Lang::En, hours: HoursState::Open, unknown_fields: vec![Field::Budget], known: vec![], knowledge: vec![] };
    let q = qualification_prompt(&facts, &ctx, None);
    let r = routing_prompt(&facts, &ctx, None);
    let schema = serde_json::to_string(&qualification::input_schema(&facts.service_keys())).unwrap();
    let rschema = serde_json::to_string(&router::input_schema()).unwrap();
    println!("MEASURE qual cached {} volatile {} schema {} | routing cached {} schema {}", estimate_tokens(&q.cached), estimate_tokens(&q.volatile), estimate_tokens(&schema), estimate_tokens(&r.cached), estimate_tokens(&rschema));
}
