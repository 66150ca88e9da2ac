"""Demo resolution tracking, typed from the public minutes of the 113 national volunteer service liaison meeting
(113年全國志願服務聯繫會報紀錄): its annex 1 lists the 112 meeting's items 112-1 … 112-5 with their progress,
all released (解除列管) at the 113 meeting. Fields the minutes do not give (the 112 meeting's date, place and
chair, the days progress was reported) stay empty.

The 113 meeting's own two resolutions (討論事項 第1案, 第2案) are added as open items; the minutes name no
辦理單位 for them, and the ministry is given as the body because the decisions are its own work (it
commissions the meeting each year; it runs the information system)."""
from datetime import date

from portal.registry.operations import authority_for
from portal.resolutions.operations import create_meeting, create_resolution, report_progress, review

MEETING_112 = {"roc_year": 112, "held_on": None, "place": "", "chair": "", "host": "宜蘭縣政府"}
MEETING_113 = {"roc_year": 113, "held_on": date(2024, 9, 10), "place": "雲林縣劍湖山渡假大飯店2樓國際會議廳",
               "chair": "楊雅嵐副司長", "host": "雲林縣政府"}

# (seq, 案由, 決議, 辦理情形); the 辦理單位 of every one is 衛生福利部, the 管考建議 解除列管.
ITEMS_112 = [
    (1,
     "依據111年全國志願服務聯繫會報綜合座談第5案建議，全國志願服務聯繫會報可由各縣市政府輪流方式辦理，"
     "以達區域均衡發展，爰於112年度委託宜蘭縣政府辦理。",
     "全國志願服務聯繫會報113年由雲林縣政府辦理，114年由臺南市政府辦理。",
     "113年由雲林縣政府辦理，114年由臺南市政府規劃辦理。"),
    (2,
     "高雄市政府社會局協助所屬民間運用單位加保過程中，有諸多遭掣肘之處，包括協助民間單位65歲以上尚未納保之"
     "高齡志工，在上開會議後才開放保險年齡可至75歲加保及自2月下旬起民間單位自行為所屬未逾75歲志工投保，"
     "保險公司亦再受理等情形，使得志工投保增加不確定性。",
     "本部志工團保保險公司各縣市分處若有不同的作法之情形，由本部協助溝通協調。\n"
     "有關高雄市志工加保受限制等節，將請業務科向保險公司總公司了解，是否依據112年1月6日會議結論執行。",
     "1. 業經本部調查，承接本部志工意外團體保險之保險公司各縣市分處針對非適用機關均採取相同年齡標準"
     "(新光75歲、第一80歲)，無不同作法。\n"
     "2. 另有關高雄市志工加保限制一節，經本部了解係運用單位內如有75歲以上志工者，保險公司請單位洽市府社會局"
     "協助加保，無75歲以上志工之單位得自行投保，依112年1月6日會議結論，請要保單位注意合理之風險分攤，"
     "避免高風險者過度集中執行。"),
    (3,
     "1.屏東縣政府社會處：為順利介接兩個系統，請協助將勾稽的欄位及資料作一致性的標準化處理，"
     "俾利協助運用單位建置正確的資料。\n"
     "2.南投縣埔里鎮慈恩社區發展協會：目前社區照顧關懷據點部分，需要同時輸入據點入口網及志願服務資訊整合系統，"
     "對於運用單位造成負擔，希望能夠加快兩個系統的介接。",
     "目前介接程式已完成，今年將針對系統資料欄位做盤整，資料盤整完畢後可加快系統的整合，",
     "系統資料盤整已於112年完成相關作業，另志願服務資訊整合系統及社區照顧關懷據點介接功能亦已正常運作。"),
    (4,
     "雲林縣政府社會處：榮譽卡現在推動無紙化，但有部分風景區只接受紙本榮譽卡，建議爾後在彙整資料時，"
     "是否可加註風景區可接受的榮譽卡形式。",
     "明年彙整風景區優惠資訊加註榮譽卡形式。",
     "本年彙整風景區優惠資訊已新增欄位加註調查榮譽卡形式。"),
    (5,
     "高雄市志願服務資源中心：建議未來全國志願服務聯繫會報流程，如專題分享的部分，老師除了傳統的演講式的形式"
     "以外，可有像是主題性的分組討論的形式。",
     "納入明年全國聯繫會報規則辦理。",
     "本(113)年聯繫會報業已規劃議題分組討論及報告。"),
]

ITEMS_113 = [
    (1, "有關115年及116年全國志願服務聯繫會報辦理縣市，提請討論。",
     "全國志願服務聯繫會報114年由臺南市政府辦理，115年由南投縣政府辦理，116年由臺東縣政府辦理。"),
    (2, "高雄市政府社會局：建請優化衛生福利部志願服務資訊整合系統，提請討論。",
     "有關所提出建議增設或調整項目，除第6項修正時數以0.5小時為單位已調整完成，其餘項目預計於今（113）年底完成。"),
]


def load_resolutions() -> dict:
    """The 112 and 113 meetings, 112-1 … 112-5 released at 113 (as the minutes record), 113-1 and 113-2 open."""
    ministry = authority_for("ministry", None, None)
    m112, m113 = create_meeting(MEETING_112, None), create_meeting(MEETING_113, None)
    for seq, subject, decision, progress in ITEMS_112:
        item = create_resolution(m112, {"seq": seq, "subject": subject, "decision": decision}, [ministry.id], None)
        report_progress(item.bodies[0], None, progress, None)  # the minutes do not date the progress
        review(item, m113, "close", "准予解管", None)
    for seq, subject, decision in ITEMS_113:
        create_resolution(m113, {"seq": seq, "subject": subject, "decision": decision}, [ministry.id], None)
    return {"meetings": 2, "items": len(ITEMS_112) + len(ITEMS_113)}
