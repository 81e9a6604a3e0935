//! Examples of every class, and of each kind of agent that earlier
//! classifiers got wrong.

use super::*;

fn device(ua: &str) -> DeviceClass {
    classify(Some(ua)).device
}

fn check_all(class: DeviceClass, agents: &[&str]) {
    for ua in agents {
        assert_eq!(device(ua), class, "{ua}");
    }
}

#[test]
fn pinned_data_and_rules_compile() {
    let (failing, total) = crawlers::failing_patterns();
    assert!(total > 100, "the pinned list has {total} entries");
    assert!(
        failing.is_empty(),
        "bot patterns that do not compile: {failing:?}"
    );
    assert!(device::rules_compile());
    assert!(model::rules_compile());
}

#[test]
fn common_agents_keep_their_names() {
    let check = |ua: &str, want: (DeviceClass, &str, &str)| {
        let info = classify(Some(ua));
        assert_eq!(
            (info.device, info.browser.as_str(), info.os.as_str()),
            want,
            "{ua}"
        );
    };
    check(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        (DeviceClass::Desktop, "Chrome", "Linux"),
    );
    check(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        (DeviceClass::Desktop, "Firefox", "Windows 10"),
    );
    check(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
        (DeviceClass::Desktop, "Edge", "Windows 10"),
    );
    check(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        (DeviceClass::Desktop, "Safari", "Mac OSX"),
    );
    check(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        (DeviceClass::Mobile, "Safari", "iPhone"),
    );
    check(
        "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
        (DeviceClass::Tablet, "Chrome", "iPad"),
    );
    check(
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
        (DeviceClass::Mobile, "Samsung Internet", "Android"),
    );
    check(
        "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        (DeviceClass::Tablet, "Chrome", "Android"),
    );
    check(
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        (DeviceClass::Bot, "Googlebot", "unknown"),
    );
}

#[test]
fn android_tablets_whose_agent_says_mobile() {
    check_all(
        DeviceClass::Tablet,
        &[
            "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 11; Lenovo TB-X606F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 9; KFMAWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/131.3.1 like Chrome/131.0.6778.39 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 10; BAH3-W09) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Android 14; Tablet; rv:133.0) Gecko/133.0 Firefox/133.0",
        ],
    );
}

#[test]
fn chromebooks_running_android_are_desktops() {
    check_all(
        DeviceClass::Desktop,
        &[
            "Mozilla/5.0 (Linux; Android 9; HP Chromebook 13 G1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/80.0.3987.162 Safari/537.36",
            "Mozilla/5.0 (Linux; Android 11; Lenovo 500e Build/R120-15662.76.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            "Mozilla/5.0 (X11; CrOS x86_64 15662.76.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        ],
    );
}

#[test]
fn kaios_and_feature_phones_are_mobile() {
    check_all(
        DeviceClass::Mobile,
        &[
            "Mozilla/5.0 (Mobile; Nokia 8110 4G; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5",
            "Mozilla/5.0 (Mobile; LYF/F300B/LYF-F300B-001-01-15-130718-i;Android; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5",
            "Mozilla/5.0 (KAIOS; JioPhone 2) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Safari/537.36",
            "Opera/9.80 (J2ME/MIDP; Opera Mini/4.2.14912/870; U; id) Presto/2.4.15",
        ],
    );
}

#[test]
fn cfnetwork_and_darwin_agents_name_their_apple_device() {
    // The bot list refuses most bare app agents (they are no browser), so the
    // device rule is checked on its own, as the class such an app is counted
    // under where the list lets it through.
    let class = |ua: &str| device::from_agent(ua, &ua.to_ascii_lowercase());
    assert_eq!(
        class("Podcasts/1.0 CFNetwork/1410.0.3 Darwin/22.6.0 (iPhone)"),
        DeviceClass::Mobile
    );
    assert_eq!(
        class("Reader/3.2 CFNetwork/1410.0.3 Darwin/22.6.0"),
        DeviceClass::Mobile
    );
    assert_eq!(
        class("Reader/3.2 CFNetwork/1410.0.3 Darwin/22.6.0 (iPad)"),
        DeviceClass::Tablet
    );
    assert_eq!(
        class("Notes/5.1 CFNetwork/1496.0.7 Darwin/23.5.0 (MacBookPro18,3)"),
        DeviceClass::Desktop
    );
}

#[test]
fn tvs_consoles_set_top_boxes_and_cars_are_tv() {
    check_all(
        DeviceClass::Tv,
        &[
            "Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.5) AppleWebKit/537.36 (KHTML, like Gecko) 85.0.4183.93/6.5 TV Safari/537.36",
            "Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 Safari/537.36 WebAppManager",
            "Mozilla/5.0 (Linux; Android 9; AFTMM) AppleWebKit/537.36 (KHTML, like Gecko) Silk/131.3.1 like Chrome/131.0.6778.39 Safari/537.36",
            "Mozilla/5.0 (Linux; Android 12; BRAVIA 4K VH2 Build/STT2.221128.001) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            "Roku/DVP-14.0 (14.0.0.4187-C3)",
            "Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox Series X) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/48.0.2564.82 Safari/537.36 Edge/20.02",
            "Mozilla/5.0 (Nintendo Switch; WifiWebAuthApplet) AppleWebKit/606.4 (KHTML, like Gecko) NF/6.0.1.15.4 NintendoBrowser/5.1.0.20389",
            "Mozilla/5.0 (X11; GNU/Linux) AppleWebKit/537.36 (KHTML, like Gecko) Chromium/79.0.3945.130 Chrome/79.0.3945.130 Safari/537.36 Tesla/2020.16.2.1-e99c70fff409",
        ],
    );
}

#[test]
fn ai_assistants_monitors_and_scanners_are_bots() {
    check_all(
        DeviceClass::Bot,
        &[
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ChatGPT-User/1.0; +https://openai.com/bot)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)",
            "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
            "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
            "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
            "sqlmap/1.8.2#stable (https://sqlmap.org)",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 (compatible; Nuclei - Open-source project (github.com/projectdiscovery/nuclei))",
        ],
    );
}

#[test]
fn current_browsers_are_not_bots() {
    for ua in [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Android 15; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    ] {
        assert_ne!(device(ua), DeviceClass::Bot, "{ua}");
        assert_eq!(bot_word(ua), None, "{ua}");
    }
}

#[test]
fn non_ascii_agents_are_read() {
    // What ingestd makes of a header with a Latin-1 byte (read lossily).
    let lossy = String::from_utf8_lossy(
        b"Mozilla/5.0 (Linux; Android 14; Pixel 8; Caf\xe9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    );
    assert_eq!(device(&lossy), DeviceClass::Mobile);
    let info = classify(Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64; Ünïcødé ✓) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"));
    assert_eq!(
        (info.device, info.browser.as_str()),
        (DeviceClass::Desktop, "Chrome")
    );
}

#[test]
fn client_hints_win_where_they_are_more_precise() {
    let reduced = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    let desktop_mode = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    let windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    let hints = |brands, mobile, platform| ClientHints {
        brands: Some(brands),
        mobile: Some(mobile),
        platform: Some(platform),
    };
    let chrome = r#""Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24""#;
    let tablet = classify_with(Some(reduced), &hints(chrome, "?0", "\"Android\""));
    assert_eq!(
        (tablet.device, tablet.browser.as_str(), tablet.os.as_str()),
        (DeviceClass::Tablet, "Chrome", "Android")
    );
    // An Android tablet asking for desktop sites still says "Android" in its hints.
    let wide = classify_with(Some(desktop_mode), &hints(chrome, "?0", "\"Android\""));
    assert_eq!(
        (wide.device, wide.os.as_str()),
        (DeviceClass::Tablet, "Android")
    );
    let phone = classify_with(Some(reduced), &hints(chrome, "?1", "\"Android\""));
    assert_eq!(phone.device, DeviceClass::Mobile);
    let brave = r#""Brave";v="131", "Chromium";v="131", "Not_A Brand";v="24""#;
    let win = classify_with(Some(windows), &hints(brave, "?0", "\"Windows\""));
    assert_eq!(
        (win.device, win.browser.as_str(), win.os.as_str()),
        (DeviceClass::Desktop, "Brave", "Windows 10")
    );
    let edge = r#""Microsoft Edge";v="131", "Chromium";v="131", "Not_A Brand";v="24""#;
    assert_eq!(
        classify_with(Some(windows), &hints(edge, "?0", "\"Windows\"")).browser,
        "Edge"
    );
    let chromeos = classify_with(Some(desktop_mode), &hints(chrome, "?0", "\"Chrome OS\""));
    assert_eq!(
        (chromeos.device, chromeos.os.as_str()),
        (DeviceClass::Desktop, "ChromeOS")
    );
    // A TV's Chromium says "Android", "?0": the agent's TV tokens win.
    let tv = "Mozilla/5.0 (Linux; Android 12; BRAVIA 4K VH2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    assert_eq!(
        classify_with(Some(tv), &hints(chrome, "?0", "\"Android\"")).device,
        DeviceClass::Tv
    );
    // Garbage hints change nothing.
    let garbage = classify_with(Some(windows), &hints("\u{1b}[31m", "yes", "\"Plan 9\""));
    assert_eq!(
        (
            garbage.device,
            garbage.browser.as_str(),
            garbage.os.as_str()
        ),
        (DeviceClass::Desktop, "Chrome", "Windows 10")
    );
}

#[test]
fn absent_or_garbage_agents_are_unknown() {
    assert_eq!(classify(None), ClientInfo::default());
    assert_eq!(classify(Some("   ")), ClientInfo::default());
    // Not a browser either way: the bot list refuses such text.
    let escape = classify(Some("\u{1b}[31m")).device;
    assert!(
        matches!(escape, DeviceClass::Unknown | DeviceClass::Bot),
        "{escape:?}"
    );
    // Cut on a character boundary, and no browser either.
    let long = classify(Some(&"é".repeat(5000))).device;
    assert!(
        matches!(long, DeviceClass::Unknown | DeviceClass::Bot),
        "{long:?}"
    );
}
