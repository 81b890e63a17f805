//! Words core builds into labels (conflict labels, the audit a conflict belongs to),
//! in the five languages the UI speaks, so a label reads in the reader's language
//! like the checklist text inside it. Unknown languages fall back to English.
//!
//! FIRST TRANSLATIONS, NOT YET REVIEWED, like ui/src/i18n: native-speaking auditors
//! should check "finding" (发现项, ফাইন্ডিং, phát hiện, निष्कर्ष) and "corrective
//! action" first.

/// A phrase core puts into a label. `{x}` marks where a value goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phrase {
    /// `Finding {title}`
    Finding,
    /// `Corrective action for {title}`
    CorrectiveActionFor,
    /// `Corrective action`
    CorrectiveAction,
    /// `Photo {name}`
    Photo,
    /// `Recruitment fees of worker {worker}`
    FeesOfWorker,
    /// `Fee ({category}) of worker {worker}`
    FeeOfWorker,
    /// `Facility {name}`
    Facility,
    /// `Audit`
    Audit,
    /// `{facility} · audit of {date}`
    AuditOf,
    /// `Facility not on this device`
    FacilityNotHere,
}

/// Index into the language arrays: en, zh-Hans, bn, vi, hi.
fn index(lang: &str) -> usize {
    let lang = lang.to_ascii_lowercase();
    let base = lang.split(['-', '_']).next().unwrap_or("");
    match base {
        "zh" => 1,
        "bn" => 2,
        "vi" => 3,
        "hi" => 4,
        _ => 0,
    }
}

/// The phrase in `lang` (English when the language is not one of the five).
pub fn phrase(p: Phrase, lang: &str) -> &'static str {
    let all: [&str; 5] = match p {
        Phrase::Finding => [
            "Finding {title}",
            "发现项 {title}",
            "ফাইন্ডিং {title}",
            "Phát hiện {title}",
            "निष्कर्ष {title}",
        ],
        Phrase::CorrectiveActionFor => [
            "Corrective action for {title}",
            "{title} 的纠正措施",
            "{title} এর সংশোধনমূলক পদক্ষেপ",
            "Hành động khắc phục cho {title}",
            "{title} के लिए सुधारात्मक कार्रवाई",
        ],
        Phrase::CorrectiveAction => [
            "Corrective action",
            "纠正措施",
            "সংশোধনমূলক পদক্ষেপ",
            "Hành động khắc phục",
            "सुधारात्मक कार्रवाई",
        ],
        Phrase::Photo => [
            "Photo {name}",
            "照片 {name}",
            "ছবি {name}",
            "Ảnh {name}",
            "फ़ोटो {name}",
        ],
        Phrase::FeesOfWorker => [
            "Recruitment fees of worker {worker}",
            "工人 {worker} 的招聘费用",
            "শ্রমিক {worker} এর নিয়োগ ফি",
            "Phí tuyển dụng của công nhân {worker}",
            "श्रमिक {worker} का भर्ती शुल्क",
        ],
        Phrase::FeeOfWorker => [
            "Fee ({category}) of worker {worker}",
            "工人 {worker} 的费用（{category}）",
            "শ্রমিক {worker} এর ফি ({category})",
            "Khoản phí ({category}) của công nhân {worker}",
            "श्रमिक {worker} का शुल्क ({category})",
        ],
        Phrase::Facility => [
            "Facility {name}",
            "工厂 {name}",
            "কারখানা {name}",
            "Nhà máy {name}",
            "साइट {name}",
        ],
        Phrase::Audit => ["Audit", "审核", "অডিট", "Cuộc đánh giá", "ऑडिट"],
        Phrase::AuditOf => [
            "{facility} · audit of {date}",
            "{facility} · {date} 的审核",
            "{facility} · {date} তারিখের অডিট",
            "{facility} · đánh giá ngày {date}",
            "{facility} · {date} का ऑडिट",
        ],
        Phrase::FacilityNotHere => [
            "Facility not on this device",
            "工厂不在本设备上",
            "কারখানাটি এই ডিভাইসে নেই",
            "Nhà máy không có trên thiết bị này",
            "साइट इस डिवाइस पर नहीं है",
        ],
    };
    all[index(lang)]
}

/// The phrase in `lang` with its `{name}` placeholders filled.
pub fn fill(p: Phrase, lang: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(phrase(p, lang).to_owned(), |s, (k, v)| {
        s.replace(&format!("{{{k}}}"), v)
    })
}

/// A synced field's name in words, in `lang`: the common fields people see in
/// conflicts; any other field reads as its name with spaces.
pub fn field_name(field: &str, lang: &str) -> String {
    let all: Option<[&str; 5]> = match field {
        "answer" => Some(["answer", "答案", "উত্তর", "câu trả lời", "उत्तर"]),
        "removed" => Some(["removed", "已删除", "মুছে ফেলা", "đã xóa", "हटाया गया"]),
        "note" => Some(["note", "备注", "মন্তব্য", "ghi chú", "टिप्पणी"]),
        "severity" => Some(["severity", "严重程度", "গুরুত্ব", "mức độ", "गंभीरता"]),
        "status" => Some(["status", "状态", "অবস্থা", "trạng thái", "स्थिति"]),
        "title" => Some(["title", "标题", "শিরোনাম", "tiêu đề", "शीर्षक"]),
        "description" => Some(["description", "描述", "বিবরণ", "mô tả", "विवरण"]),
        "root_cause" => Some([
            "root cause",
            "根本原因",
            "মূল কারণ",
            "nguyên nhân gốc",
            "मूल कारण",
        ]),
        "corrective_action" => Some([
            "corrective action",
            "纠正措施",
            "সংশোধনমূলক পদক্ষেপ",
            "hành động khắc phục",
            "सुधारात्मक कार्रवाई",
        ]),
        "preventive_action" => Some([
            "preventive action",
            "预防措施",
            "প্রতিরোধমূলক পদক্ষেপ",
            "hành động phòng ngừa",
            "निवारक कार्रवाई",
        ]),
        "owner" => Some([
            "owner",
            "负责人",
            "দায়িত্বপ্রাপ্ত ব্যক্তি",
            "người phụ trách",
            "ज़िम्मेदार व्यक्ति",
        ]),
        "due_date" => Some([
            "due date",
            "截止日期",
            "নির্ধারিত তারিখ",
            "hạn hoàn thành",
            "नियत तारीख़",
        ]),
        "evidence" => Some(["evidence", "证据", "প্রমাণ", "bằng chứng", "साक्ष्य"]),
        "label" => Some(["label", "名称", "নাম", "tên", "नाम"]),
        "name" => Some(["name", "名称", "নাম", "tên", "नाम"]),
        "amount" => Some(["amount", "金额", "পরিমাণ", "số tiền", "राशि"]),
        _ => None,
    };
    match all {
        Some(words) => words[index(lang)].to_owned(),
        None => field.replace('_', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_follow_the_language_and_fall_back_to_english() {
        assert_eq!(
            fill(Phrase::Finding, "zh-Hans", &[("title", "“出口上锁”")]),
            "发现项 “出口上锁”"
        );
        assert_eq!(fill(Phrase::Finding, "bn", &[("title", "x")]), "ফাইন্ডিং x");
        assert_eq!(fill(Phrase::Finding, "fr", &[("title", "x")]), "Finding x");
        assert_eq!(
            fill(
                Phrase::AuditOf,
                "vi",
                &[("facility", "A"), ("date", "2026-01-02")]
            ),
            "A · đánh giá ngày 2026-01-02"
        );
        assert_eq!(field_name("root_cause", "hi"), "मूल कारण");
        assert_eq!(field_name("worker_ref", "hi"), "worker ref");
    }
}
