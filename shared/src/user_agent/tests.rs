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
    let (brands, uncompiled, always) = device_models::uncompiled_and_always();
    assert!(
        brands > 2000,
        "the pinned device lists have {brands} brands"
    );
    assert_eq!(uncompiled, 0, "device-model units that do not compile");
    // Units without literals run on every agent; a handful at most.
    assert!(
        always <= 8,
        "{always} device-model units run on every agent"
    );
}

/// Devices that no naming convention tells apart, which the model lists
/// name: unbranded TV boxes and tablets known by a bare code, most of them
/// sending a phone's agent.
#[test]
fn models_the_lists_name() {
    check_all(
        DeviceClass::Tv,
        &[
            "Mozilla/5.0 (Linux; arm; Android 11; CT-8824 Build/RP1A.200720.011; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/104.0.5112.102 Mobile Safari/537.36",
        ],
    );
    check_all(
        DeviceClass::Tablet,
        &[
            "Mozilla/5.0 (Linux; Android 10; T81N) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/111.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 10; LW788) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/105.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 10; 8094M) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/95.0.4638.50 Mobile Safari/537.36",
            // Texet's NetTAB Space quad RX; its "Build/NT" is no TV build.
            "Mozilla/5.0 (Linux; Android 4.1.1; NT-0902S Build/NT-0902S) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
        ],
    );
    // A maker's commonest class yields to a tablet convention: BQ names its
    // tablets by their diagonal, and lists only some of them.
    check_all(
        DeviceClass::Tablet,
        &["Mozilla/5.0 (Linux; Android 11; BQ-8099L) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"],
    );
    // A crawler naming a TV only the lists know is still a crawler.
    check_all(
        DeviceClass::Bot,
        &["Mozilla/5.0 (Linux; Android 11; CT-8824) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"],
    );
    // Desktop systems and Apple devices are not looked up.
    check_all(
        DeviceClass::Desktop,
        &["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"],
    );
}

#[test]
fn device_model_patterns_split_into_units_that_match_alike() {
    // Short patterns are split at their top-level alternatives only.
    assert_eq!(
        device_models::units_of("ab(?:c|d)|e[|]f|(g|h)"),
        ["ab(?:c|d)", "e[|]f", "(g|h)"]
    );
    // A long one has its largest group distributed, down to short units.
    let models = (0..40)
        .map(|i| format!("M{i:02}"))
        .collect::<Vec<_>>()
        .join("|");
    let long = format!("X-(?:{models})(?:[);/ ]|$)");
    let units = device_models::units_of(&long);
    assert_eq!(units.len(), 40);
    assert_eq!(units[0], "X-M00(?:[);/ ]|$)");
    assert_eq!(units[39], "X-M39(?:[);/ ]|$)");
    // Optional, repeated and look-around groups are kept whole.
    let kept = format!("(?:{models})?Z");
    assert_eq!(device_models::units_of(&kept), std::slice::from_ref(&kept));
    assert_eq!(
        device_models::without_look_around("(?<!AN)DROID(?!logic [)])x"),
        "DROIDx"
    );
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
    let class = |ua: &str| device::naming_no_tv(ua, &ua.to_ascii_lowercase());
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

#[test]
fn tvs_and_boxes_named_by_their_model_or_build() {
    check_all(
        DeviceClass::Tv,
        &[
            // The screen diagonal leads the model, or sits in it before a
            // resolution letter.
            "Mozilla/5.0 (Linux; Android 12; 65QU8000 Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 11; ACME_43QA7100) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Linux; arm; Android 11; KT50UHX2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Mobile Safari/537.36",
            // The panel, the broadcast standard, "TV" glued to a name.
            "Mozilla/5.0 (Linux; Android 9; ZX-LED55F1 Build/PPR1.180610.011; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/112.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 9; DVB-T2 Receiver) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Linux; Android 11; HomeTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 11; ACME_TV_4K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0.0.0 Safari/537.36",
            // "TV" as a word anywhere, and an Android TV build number.
            "Mozilla/5.0 (Linux; Android 12; M7 Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.0.0 Safari/537.36 TV",
            "Mozilla/5.0 (Linux; Android 14; Streamer 2 Build/UTTK.240115.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 11; QX9 Build/RT; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Andr0id 12; Acme G00gle TV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
            // Set-top boxes and the TV-box families.
            "Dalvik/2.1.0 (Linux; U; Android 11; NXSTB100 Build/RTM1.210101.001)",
            "Mozilla/5.0 (Linux; Android 10; StreamBox 3) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 10; Acme_box) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Linux; Android 11; X96 Mini) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/104.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Linux; Android 9; AFTKAXX002) AppleWebKit/537.36 (KHTML, like Gecko) Silk/128.5.4 like Chrome/128.0.0.0 Safari/537.36",
            // TV platforms' own marks: the HbbTV triple, the TV engine,
            // MIPS.
            "Opera/9.80 (Linux armv7l) Presto/2.12.407 Version/12.51 , X55-E1/V1.2.3 (Acme, X55-E1, Wireless)",
            "Mozilla/5.0 (Linux armv7l) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 Safari/537.36 OMI/4.20.1.100.Dom3",
            "Opera/9.80 (Linux mips; U; en) Presto/2.10.287 Version/12.00",
            // Signage players and handheld consoles.
            "BrightSign/9.0.110 (XT1145) Mozilla/5.0 (X11; Linux aarch64) AppleWebKit/537.36 (KHTML, like Gecko) QtWebEngine/5.15.2 Chrome/87.0.4280.144 Safari/537.36",
            "Mozilla/5.0 (Linux; Android 13; Retroid Pocket 4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
        ],
    );
    // The same letters outside the model, or a phone's own, are no TV's.
    check_all(
        DeviceClass::Mobile,
        &[
            "Mozilla/5.0 (Linux; Android 9; HTV33) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 14; SM-A556B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.0.0 Mobile Safari/537.36 TVPlayerApp/2.1",
            "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        ],
    );
}

#[test]
fn tablets_named_by_their_model() {
    check_all(
        DeviceClass::Tablet,
        &[
            // Huawei and Honor Wi-Fi models, Lenovo Tab and Yoga Tab codes,
            // Xiaomi pads: all with a phone agent.
            "Mozilla/5.0 (Linux; Android 12; KRJ2-W09) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 13; Acme-W9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 12; TB-J616F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 11; YT-J706X) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 14; 24018RPACG) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
            // Market-variant suffixes, "Tab", "Pad" and children's devices.
            "Mozilla/5.0 (Linux; Android 13; P30HD_EEA) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 12; M9-ROW) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 11; ACME_TAB_10) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 13; Orbit Pad 11) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 12; Acme Kids 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 10; Acme MID-1012 Build/QP1A.190711.020) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0.0.0 Mobile Safari/537.36",
            // Codes that lead with a tablet's diagonal, and tablet lines.
            "Mozilla/5.0 (Linux; Android 11; BQ-8099L) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 12; CITI 10 4G CS1099PL) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 9; PMT4111_4G) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 10; TZ999) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            // Yandex's apps name their tablet builds "/apad".
            "Mozilla/5.0 (Linux; arm_64; Android 13; Q10) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 YaSearchBrowser/24.10/apad BroPP/1.0 SA/3 Mobile Safari/537.36",
        ],
    );
    // The same makers' phones have smaller diagonals.
    check_all(
        DeviceClass::Mobile,
        &[
            "Mozilla/5.0 (Linux; Android 11; BQ-6868L) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 10; CITI 6 4G CS6099ML) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
        ],
    );
    // A phone with an all-digit model keeps the suffix and is a phone.
    assert_eq!(
        device("Mozilla/5.0 (Linux; Android 10; 5029Y_EEA) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"),
        DeviceClass::Mobile
    );
}

#[test]
fn android_agents_without_mobile_are_tablets_only_in_browsers() {
    // A browser following Google's convention: no "Mobile", a tablet.
    assert_eq!(
        device("Mozilla/5.0 (Linux; Android 14; Acme A10) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
        DeviceClass::Tablet
    );
    // An app's network stack, or a web view's agent cut before "Safari",
    // never says "Mobile": the commoner phone.
    check_all(
        DeviceClass::Mobile,
        &[
            "Dalvik/2.1.0 (Linux; U; Android 14; Acme A10 Build/UP1A.231005.007)",
            "Mozilla/5.0 (Linux; Android 11; Acme A10 Build/RP1A.200720.012; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/90.0.4430.210",
        ],
    );
    // Hints, when sent, still decide.
    let hints = ClientHints {
        brands: None,
        mobile: Some("?0"),
        platform: Some("\"Android\""),
    };
    assert_eq!(
        classify_with(
            Some("Dalvik/2.1.0 (Linux; U; Android 14; Acme A10 Build/UP1A.231005.007)"),
            &hints
        )
        .device,
        DeviceClass::Tablet
    );
}

#[test]
fn worn_devices_and_windows_phones_are_mobile() {
    check_all(
        DeviceClass::Mobile,
        &[
            "Mozilla/5.0 (X11; Linux x86_64; Quest 3) AppleWebKit/537.36 (KHTML, like Gecko) OculusBrowser/35.0.0.0 Chrome/126.0.0.0 VR Safari/537.36",
            "Mozilla/5.0 (Windows NT 10.0; ARM; Lumia 650) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063",
            "Mozilla/5.0 (Windows NT 6.2; ARM; Trident/7.0; Touch; rv:11.0; WPDesktop; Lumia 930) like Gecko",
            "Mozilla/4.0 (compatible; MSIE 6.0; Windows 98; PalmSource/Palm-D061; Blazer/4.5) 16;320x320",
        ],
    );
}

#[test]
fn model_names_are_not_taken_for_bots() {
    // The list matches "Robot", "Radar" and "CUBOT" as it would a tool's name.
    for ua in [
        "Mozilla/5.0 (Linux; Android 14; Robot X2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 12; Newsphone 5 Build/SP1A.210812.016) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; U; Android 4.4.2; en-us; X17 Build/CUBOT) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
        "Mozilla/5.0 (compatible; MSIE 9.0; Windows Phone OS 7.5; Trident/5.0; IEMobile/9.0; HTC; Radar 5G)",
    ] {
        assert_eq!(bot_word(ua), None, "{ua}");
        assert_eq!(device(ua), DeviceClass::Mobile, "{ua}");
    }
    // A crawler that names a phone model is found by its own name.
    let googlebot = "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    assert_eq!(bot_word(googlebot).as_deref(), Some("Googlebot"));
    let both = "Mozilla/5.0 (Linux; Android 14; Robot X2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 curl/8.5.0";
    assert_eq!(device(both), DeviceClass::Bot);
}

#[test]
fn phone_only_browsers_are_not_bots() {
    for ua in [
        "dv(iPh13,2);pr(UCBrowser/13.4.0.1306);ov(16_6);ss(390x844);bt(UC);pm(0);bv(0);nm(0);im(0);nt(1);",
        "ACME_X1 WAP Browser/MAUI (HTTP PGDL; HTTPS) Profile/MIDP-2.0 Configuration/CLDC-1.1",
        "Acme-F200/R1A Browser/NetFront/3.5 Profile/MIDP-2.1 Configuration/CLDC-1.1 JavaPlatform/JP-8.5",
        "Mozilla/5.0 (Linux; Android 12; Acme A5) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/110.0.0.0 Mobile Safari/537.36 SogouMSE,SogouMobileBrowser/5.30.1",
    ] {
        assert_eq!(bot_word(ua), None, "{ua}");
        assert_eq!(device(ua), DeviceClass::Mobile, "{ua}");
    }
    // Sogou's spiders say so, and stay bots.
    assert!(
        bot_word("Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)")
            .is_some()
    );
}

#[test]
fn the_device_field_is_found_past_locales_and_processors() {
    let field = |ua: &str| model::field(ua).map(|r| model::name(&ua[r]).to_owned());
    assert_eq!(
        field("Mozilla/5.0 (Linux; U; Android 11; zh-Hans-CN; Acme A1 Build/RP1A.200720.011) AppleWebKit/537.36").as_deref(),
        Some("Acme A1")
    );
    assert_eq!(
        field("Mozilla/5.0 (Linux; arm_64; Android 13; Acme A1) AppleWebKit/537.36").as_deref(),
        Some("Acme A1")
    );
    assert_eq!(
        field(
            "Mozilla/5.0 (Linux; Android 12; HarmonyOS; ACM-W09; HMSCore 6.8.0) AppleWebKit/537.36"
        )
        .as_deref(),
        Some("ACM-W09")
    );
    assert_eq!(
        field("Mozilla/5.0 (compatible; MSIE 10.0; Windows Phone 8.0; Trident/6.0; IEMobile/10.0; ARM; Touch; NOKIA; Lumia 920)").as_deref(),
        Some("Lumia 920")
    );
    assert_eq!(
        field("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"),
        None
    );
    // Wide whitespace around the field, and cut or odd comments.
    assert_eq!(
        field(
            "Mozilla/5.0 (Linux; Android 14;\u{3000}Robot\u{2003}X2\u{3000}) Mobile Safari/537.36"
        )
        .as_deref(),
        Some("Robot\u{2003}X2")
    );
    for ua in [
        "(",
        "(;",
        "(Android",
        "(Android;",
        "(Android; ;",
        "((Android; é; ü)",
        "(Windows Phone",
        "(Windows Phone;",
    ] {
        let _ = field(ua);
        let _ = classify(Some(ua));
        let _ = bot_word(ua);
    }
    assert_eq!(field("Mozilla/5.0 (Linux; Android 14)"), None);
    assert_eq!(field("Mozilla/5.0 (Linux; Android 14; "), None);
}

#[test]
fn sharp_tvs_are_tvs_and_its_phones_phones() {
    assert_eq!(
        device("Mozilla/5.0 (Linux; Android 11; AQUOS-TVE21A Build/RTM7.230903.173; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.0.0 Safari/537.36"),
        DeviceClass::Tv
    );
    assert_eq!(
        device("Mozilla/5.0 (Linux; Android 14; Sharp Aquos R9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"),
        DeviceClass::Mobile
    );
}
