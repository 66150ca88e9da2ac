"""Demo venues that honour the card (docs/rules/honor-cards.md#hc9, #hc14): three dozen public scenic areas,
forest recreation areas, museums and farms across the counties, with the card form each accepts (paper only,
electronic only, both), written through the venue import's own rules. The discounts are illustrative demo
values shaped like the ministry's survey, not the ministry's list."""
from sqlalchemy import select

from portal.honor_cards.models import Venue
from portal.honor_cards.venue_import import card_form_of, discount_of
from portal.platform import audit
from portal.platform.extensions import db
from portal.registry.models import Authority, AuthorityKind

# county, name, English name, address, 優惠方式, 優惠內容, 可使用之榮譽卡形式, website
VENUES = (
    ("TPE", "臺北市立動物園", "Taipei Zoo", "臺北市文山區新光路二段30號", "免費", "憑卡免費入園", "紙本及電子",
     "https://www.zoo.gov.taipei/"),
    ("TPE", "國立故宮博物院", "National Palace Museum", "臺北市士林區至善路二段221號", "免費", "憑卡免費參觀常設展",
     "紙本及電子", "https://www.npm.gov.tw/"),
    ("TPE", "國立臺灣博物館", "National Taiwan Museum", "臺北市中正區襄陽路2號", "免費", "", "紙本及電子",
     "https://www.ntm.gov.tw/"),
    ("TPE", "臺北市立天文科學教育館", "Taipei Astronomical Museum", "臺北市士林區基河路363號", "半價",
     "展示場免費，宇宙劇場半價", "電子", "https://www.tam.gov.taipei/"),
    ("TPE", "臺北市立兒童新樂園", "Taipei Children's Amusement Park", "臺北市士林區承德路五段55號", "免費",
     "免費入園，遊樂設施另計", "紙本及電子", ""),
    ("NWT", "新北市立十三行博物館", "Shihsanhang Museum of Archaeology", "新北市八里區博物館路200號", "免費", "",
     "紙本及電子", ""),
    ("NWT", "新北市立淡水古蹟博物館", "New Taipei City Tamsui Historical Museum", "新北市淡水區中正路一段6巷32號",
     "免費", "紅毛城等古蹟免費參觀", "紙本", ""),
    ("NWT", "內洞國家森林遊樂區", "Neidong National Forest Recreation Area", "新北市烏來區信賢里", "免費", "",
     "紙本", ""),
    ("NWT", "滿月圓國家森林遊樂區", "Manyueyuan National Forest Recreation Area", "新北市三峽區有木里", "免費", "",
     "紙本", ""),
    ("TAO", "東眼山國家森林遊樂區", "Dongyanshan National Forest Recreation Area", "桃園市復興區霞雲里", "免費",
     "", "紙本", ""),
    ("TAO", "桃園市立美術館", "Taoyuan Museum of Fine Arts", "桃園市中壢區", "免費", "", "電子", ""),
    ("HSQ", "新竹縣立文化局美術館", "Hsinchu County Art Museum", "新竹縣竹北市縣政九路146號", "免費", "",
     "紙本及電子", ""),
    ("MIA", "苗栗縣客家文化園區", "Miaoli Hakka Cultural Park", "苗栗縣銅鑼鄉九湖村", "免費", "", "紙本及電子", ""),
    ("TXG", "國立自然科學博物館", "National Museum of Natural Science", "臺中市北區館前路1號", "其他",
     "常設展免費，特展依館方規定", "紙本及電子", "https://www.nmns.edu.tw/"),
    ("TXG", "八仙山國家森林遊樂區", "Basianshan National Forest Recreation Area", "臺中市和平區博愛里", "免費", "",
     "紙本", ""),
    ("TXG", "武陵農場", "Wuling Farm", "臺中市和平區平等里武陵路3號", "半價", "門票半價，車輛清潔費另計", "紙本", ""),
    ("TXG", "福壽山農場", "Fushoushan Farm", "臺中市和平區梨山里福壽路29號", "半價", "門票半價", "紙本", ""),
    ("NAN", "奧萬大國家森林遊樂區", "Aowanda National Forest Recreation Area", "南投縣仁愛鄉大同村", "免費", "",
     "紙本", ""),
    ("NAN", "清境農場", "Cingjing Farm", "南投縣仁愛鄉大同村仁和路170號", "半價", "青青草原門票半價", "紙本及電子",
     ""),
    ("CHA", "鹿港民俗文物館", "Lukang Folk Arts Museum", "彰化縣鹿港鎮中山路152號", "其他", "門票優待，依館方公告",
     "紙本", ""),
    ("YUN", "雲林故事館", "Yunlin Story House", "雲林縣斗六市府前街", "免費", "", "紙本及電子", ""),
    ("CYQ", "阿里山國家森林遊樂區", "Alishan National Forest Recreation Area", "嘉義縣阿里山鄉中正村", "免費",
     "憑卡免收門票", "紙本", "https://recreation.forest.gov.tw/"),
    ("CYQ", "國立故宮博物院南部院區", "National Palace Museum Southern Branch", "嘉義縣太保市故宮大道888號", "免費",
     "", "紙本及電子", "https://south.npm.gov.tw/"),
    ("TNN", "國立臺灣歷史博物館", "National Museum of Taiwan History", "臺南市安南區長和路一段250號", "免費", "",
     "紙本及電子", "https://www.nmth.gov.tw/"),
    ("TNN", "國立臺灣文學館", "National Museum of Taiwan Literature", "臺南市中西區中正路1號", "免費", "", "電子", ""),
    ("KHH", "國立科學工藝博物館", "National Science and Technology Museum", "高雄市三民區九如一路720號", "免費",
     "常設展免費", "紙本及電子", "https://www.nstm.gov.tw/"),
    ("KHH", "高雄市立美術館", "Kaohsiung Museum of Fine Arts", "高雄市鼓山區美術館路80號", "免費", "", "電子", ""),
    ("KHH", "藤枝國家森林遊樂區", "Tengjhih National Forest Recreation Area", "高雄市桃源區", "免費", "", "紙本",
     ""),
    ("PIF", "國立海洋生物博物館", "National Museum of Marine Biology and Aquarium", "屏東縣車城鄉後灣路2號", "半價",
     "門票半價", "紙本及電子", "https://www.nmmba.gov.tw/"),
    ("PIF", "墾丁國家森林遊樂區", "Kenting National Forest Recreation Area", "屏東縣恆春鎮公園路201號", "免費", "",
     "紙本", ""),
    ("ILA", "太平山國家森林遊樂區", "Taipingshan National Forest Recreation Area", "宜蘭縣大同鄉太平巷58之1號", "免費",
     "憑卡免收門票，車輛清潔費另計", "紙本", ""),
    ("ILA", "國立傳統藝術中心", "National Center for Traditional Arts", "宜蘭縣五結鄉季新村五濱路二段201號", "半價",
     "", "紙本及電子", "https://www.ncfta.gov.tw/"),
    ("HUA", "池南國家森林遊樂區", "Chihnan National Forest Recreation Area", "花蓮縣壽豐鄉池南村", "免費", "", "紙本",
     ""),
    ("TTT", "國立臺灣史前文化博物館", "National Museum of Prehistory", "臺東縣臺東市博物館路1號", "免費", "",
     "紙本及電子", "https://www.nmp.gov.tw/"),
    ("TTT", "知本國家森林遊樂區", "Jhihben National Forest Recreation Area", "臺東縣卑南鄉溫泉村", "免費", "", "紙本",
     ""),
    ("KEE", "國立海洋科技博物館", "National Museum of Marine Science and Technology", "基隆市中正區北寧路367號",
     "半價", "主題館門票半價", "電子", "https://www.nmmst.gov.tw/"),
    ("PEN", "澎湖生活博物館", "Penghu Living Museum", "澎湖縣馬公市新店路327號", "免費", "", "紙本及電子", ""),
    ("KIN", "金門國家公園遊客中心", "Kinmen National Park Visitor Center", "金門縣金寧鄉伯玉路二段460號", "免費", "",
     "紙本及電子", ""),
)


def load_venues() -> int:
    """Add the demo venues as the ministry's, each with its audit line; returns how many."""
    ministry = db.session.scalar(select(Authority.id).where(Authority.kind == AuthorityKind.MINISTRY).limit(1))
    for county, name, name_en, address, discount, note, forms, website in VENUES:
        venue = Venue(county_code=county, name=name, name_en=name_en, address=address, discount=discount_of(discount),
                      discount_note=note, card_forms=card_form_of(forms), website=website, authority_id=ministry)
        db.session.add(venue)
        db.session.flush()
        audit.record("honor_card.venue_add", venue, source="demo")
    return len(VENUES)
