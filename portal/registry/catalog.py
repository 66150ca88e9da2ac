"""Reference lists: the 22 counties/cities (ISO 3166-2:TW) and the 16 service fields (Act Art. 4)."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    code: str
    name: str
    name_en: str
    aliases: tuple = ()


COUNTIES = [
    Entry("TPE", "臺北市", "Taipei City", ("台北市",)),
    Entry("NWT", "新北市", "New Taipei City"),
    Entry("TAO", "桃園市", "Taoyuan City"),
    Entry("TXG", "臺中市", "Taichung City", ("台中市",)),
    Entry("TNN", "臺南市", "Tainan City", ("台南市",)),
    Entry("KHH", "高雄市", "Kaohsiung City"),
    Entry("KEE", "基隆市", "Keelung City"),
    Entry("HSZ", "新竹市", "Hsinchu City"),
    Entry("HSQ", "新竹縣", "Hsinchu County"),
    Entry("MIA", "苗栗縣", "Miaoli County"),
    Entry("CHA", "彰化縣", "Changhua County"),
    Entry("NAN", "南投縣", "Nantou County"),
    Entry("YUN", "雲林縣", "Yunlin County"),
    Entry("CYI", "嘉義市", "Chiayi City"),
    Entry("CYQ", "嘉義縣", "Chiayi County"),
    Entry("PIF", "屏東縣", "Pingtung County"),
    Entry("ILA", "宜蘭縣", "Yilan County"),
    Entry("HUA", "花蓮縣", "Hualien County"),
    Entry("TTT", "臺東縣", "Taitung County", ("台東縣",)),
    Entry("PEN", "澎湖縣", "Penghu County"),
    Entry("KIN", "金門縣", "Kinmen County"),
    Entry("LIE", "連江縣", "Lienchiang County"),
]

FIELDS = [
    Entry("social", "社會福利", "Social welfare", ("社會服務", "社福")),
    Entry("education", "教育", "Education"),
    Entry("counseling", "輔導", "Counselling"),
    Entry("culture", "文化", "Culture"),
    Entry("science", "科學", "Science"),
    Entry("sports", "體育", "Sports"),
    Entry("rescue", "消防救難", "Fire fighting and rescue"),
    Entry("traffic", "交通安全", "Traffic safety"),
    Entry("environment", "環境保護", "Environmental protection", ("環保",)),
    Entry("health", "衛生保健", "Health care"),
    Entry("cooperative", "合作發展", "Cooperative development"),
    Entry("economy", "經濟", "Economy"),
    Entry("research", "研究", "Research"),
    Entry("manpower", "志工人力之開發", "Volunteer manpower development"),
    Entry("joint", "聯合活動之發展", "Joint activity development"),
    Entry("promotion", "志願服務之提昇", "Advancement of volunteer service"),
]

COUNTY_BY_CODE = {c.code: c for c in COUNTIES}
FIELD_BY_CODE = {f.code: f for f in FIELDS}


def _lookup(entries, text):
    text = (text or "").strip()
    for e in entries:
        if text.upper() == e.code.upper() or text in (e.name, e.name_en, *e.aliases):
            return e
    return None


def find_county(text) -> Entry | None:
    return _lookup(COUNTIES, text)


def find_field(text) -> Entry | None:
    """A field by code (`social`), Chinese name (`社會福利`, `社會服務`) or English name."""
    return _lookup(FIELDS, text)
