//! Cost of reading a user agent: µs per new (unmemoised) agent and per
//! memoised one, over a mix of browsers, tablets, TVs and bots. Prints figures;
//! run with `cargo bench -p shared --bench user_agent`.

use shared::user_agent::{classify, classify_with, ClientHints};
use std::hint::black_box;
use std::time::Instant;

/// Agent shapes; `{v}` becomes a version number so that every agent is new.
const TEMPLATES: [&str; 8] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.{v}.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.{v} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.{v}.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.{v}",
    "Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.5) AppleWebKit/537.36 (KHTML, like Gecko) 85.0.{v}.93/6.5 TV Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.{v}; +http://www.google.com/bot.html)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.{v}; +https://openai.com/gptbot)",
    "python-requests/2.{v}.3",
];

fn main() {
    // The first call compiles the pattern list and rules once per process.
    let start = Instant::now();
    black_box(classify(Some("warm-up/1.0")));
    let first = start.elapsed();

    let agents: Vec<String> = (0..20_000)
        .map(|i| TEMPLATES[i % TEMPLATES.len()].replace("{v}", &(1000 + i).to_string()))
        .collect();
    let start = Instant::now();
    for ua in &agents {
        black_box(classify(Some(ua)));
    }
    let new = start.elapsed().as_secs_f64() * 1e6 / agents.len() as f64;

    let hints = ClientHints {
        brands: Some(r#""Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24""#),
        mobile: Some("?0"),
        platform: Some("\"Android\""),
    };
    let start = Instant::now();
    for ua in &agents {
        black_box(classify_with(Some(ua), &hints));
    }
    let hinted = start.elapsed().as_secs_f64() * 1e6 / agents.len() as f64;

    let repeated = &agents[..512];
    for ua in repeated {
        classify(Some(ua));
    }
    let rounds = 100;
    let start = Instant::now();
    for _ in 0..rounds {
        for ua in repeated {
            black_box(classify(Some(ua)));
        }
    }
    let memo = start.elapsed().as_secs_f64() * 1e6 / (rounds * repeated.len()) as f64;

    println!(
        "user agents: first call (compiles the rules) {:.1} ms",
        first.as_secs_f64() * 1e3
    );
    println!("user agents: {new:.1} µs per new agent, {hinted:.1} µs with client hints, {memo:.2} µs memoised ({} agents)", agents.len());
}
