"""One table of the words a deadline cell is made of, folded ("chậm nhất" -> "cham nhat"), by class.

The classes are what the structure grammar and the part reader see; words not listed are WORD
(a task's own words: "báo cáo", "Sở Y tế"), which carry no date.
"""

from __future__ import annotations

from typing import Literal

TokenKind = Literal[
    # numbers and dates, from the lexer's own patterns
    "DATE", "DAY_MONTH", "MONTH_YEAR", "YEAR", "NUMBER", "ROMAN", "TIME", "CITATION",
    # keyword classes, from the table below
    "LIMIT", "EVERY", "FROM", "TO", "AND", "THEN", "OR", "ONGOING", "AD_HOC", "CONDITION",
    "UNIT", "FILLER", "MEANING",
    # signs and the rest
    "SEMI", "COMMA", "OPEN", "CLOSE", "DASH", "WORD",
]

_CLASSES: dict[TokenKind, tuple[str, ...]] = {
    "LIMIT": ("truoc", "cham nhat", "muon nhat", "han chot", "han cuoi", "khong qua", "toi da",
              "khong muon hon", "it nhat", "khong it hon", "toi thieu"),
    "EVERY": ("hang", "moi", "dinh ky", "tung", "lan"),
    "FROM": ("tu", "bat dau", "ke tu", "tinh tu"),
    "TO": ("den", "den het", "toi", "cho den"),
    "AND": ("va",),
    "THEN": ("sau do", "tiep tuc", "tiep theo do"),
    "OR": ("hoac",),
    "ONGOING": ("thuong xuyen", "lien tuc", "duy tri", "trien khai thuong xuyen"),
    "AD_HOC": ("dot xuat", "theo yeu cau", "khi co yeu cau", "theo de nghi", "khi can thiet",
               "theo tung lan phat sinh"),
    "CONDITION": ("khi", "neu", "trong truong hop", "sau khi"),
    "UNIT": ("ngay", "tuan", "thang", "quy", "qui", "nam", "gio", "ngay lam viec"),
    # Words a cell may hold besides what the passes read: what is done, by whom, how it is sent.
    # Any other word left over after reading makes the cell unknown, named in the reason.
    "FILLER": ("trong", "vao", "cua", "la", "thoi gian", "thoi han", "hoan thanh", "thuc hien",
               "nop", "gui", "bao cao", "ky", "dot", "giai doan", "trien khai", "xong", "han",
               "het", "ve", "so", "y te", "so y te", "ket qua", "tinh hinh", "theo", "quy dinh",
               "du kien", "tong hop", "trinh", "ban hanh", "phe duyet", "cac", "nhung",
               "lanh dao", "ubnd", "tinh", "huyen", "xa", "bo", "cho", "de", "duoc", "phai", "can",
               "cap", "on", "tai", "nhiem vu", "ke hoach", "kh", "chuong trinh", "van ban",
               "de an", "du an", "bao", "cao", "dong thoi", "tren", "he thong", "phan mem",
               "phan dau", "dip", "khoang thoi gian", "thoi diem", "doi voi", "dieu chinh",
               "ket thuc", "la han cuoi", "cuoi", "hoan thien", "hoan chinh", "co ban",
               "ngoai giao"),
    # Words that change what a date means; the part reader decides on the accented text.
    "MEANING": ("giua", "dau", "sau", "som", "khoang", "tru", "ngoai"),
}

# The syllables of what a cell says besides its deadline ("quyết toán thuế", "xóa nhà tạm",
# "bệnh án điện tử"), folded, taken from the real phrase sets and the five seed plans' text. Folding
# merges a task's word with a word of time ("tạm" and "tám", "tiền" and "tiến độ"): those are
# told apart on the accented text by the part reader's words that change the meaning, first.
_TASK_SYLLABLES = (
    "ai", "aids", "an", "anh", "ao", "ap", "at", "attt", "ba", "bac", "bach", "bai", "bam",
    "ban", "bang", "bao", "bat", "bc", "bcd", "ben", "benh", "bgd", "bhxh", "bhyt", "bi", "bien",
    "biet", "bieu", "binh", "boi", "bon", "btttt", "buoc", "bv", "bvdk", "byt", "ca", "cach",
    "cai", "cam", "canh", "cao", "cat", "cau", "cbccvc", "cccd", "ccvc", "cdc", "cds", "cdsqg",
    "ch", "cham", "chan", "chap", "chat", "chau", "chay", "che", "chi", "chia", "chiem", "chien",
    "chinh", "chip", "chiu", "chon", "chong", "chot", "chu", "chua", "chuan", "chuc", "chung",
    "chuoi", "chuong", "chuyen", "cn", "cntt", "co", "con", "cong", "cot", "cp", "csdl", "ct",
    "ctr", "cu", "cuc", "cung", "cuoc", "cuong", "cuu", "da", "dac", "dai", "dam", "dan", "dang",
    "danh", "dao", "dap", "dat", "day", "deu", "di", "dia", "dich", "diem", "dien", "diet",
    "dieu", "dinh", "do", "doan", "doanh", "doc", "doi", "don", "dong", "dt", "du", "dua", "duc",
    "dung", "duong", "dut", "duy", "duyet", "dv", "dvc", "dvcds", "dx", "em", "gach", "gan",
    "gay", "gd", "ghi", "gia", "giai", "giam", "gian", "giao", "giay", "gioi", "giu", "giup",
    "go", "goi", "gom", "gon", "gop", "ha", "hai", "hanh", "hd", "he", "hen", "hiem", "hien",
    "hieu", "hinh", "hiv", "ho", "hoa", "hoach", "hoat", "hoc", "hoi", "hop", "hscv", "hssk",
    "huan", "hung", "huong", "hut", "huu", "huy", "huyen", "ich", "kcb", "ke", "kem", "keo",
    "ket", "kha", "khac", "khai", "kham", "khan", "khcn", "khen", "khich", "kho", "khoa",
    "khoan", "khoe", "khoi", "khop", "khtc", "khu", "khung", "khuyen", "kiem", "kien", "kinh",
    "kip", "ksbt", "lai", "lam", "lang", "lanh", "lao", "lap", "lay", "le", "len", "lich",
    "liem", "lien", "liet", "lieu", "linh", "lo", "loat", "loc", "loi", "lon", "long", "lop",
    "lot", "lua", "luan", "luat", "luc", "luoc", "luong", "luot", "luu", "ly", "ma", "mac",
    "mai", "mang", "manh", "mat", "mau", "may", "me", "mem", "mien", "minh", "mo", "moc", "mon",
    "mong", "mot", "mua", "muc", "mui", "muoi", "muu", "nai", "nang", "nat", "nay", "nd", "nen",
    "ng", "ngan", "ngang", "nganh", "nghe", "nghi", "nghia", "nghiem", "nghien", "nghiep",
    "ngoc", "ngu", "nguoi", "nguon", "nguy", "nguyen", "nh", "nha", "nhac", "nham", "nhan",
    "nhanh", "nhap", "nhat", "nhi", "nhiem", "nhieu", "nhin", "nhon", "nhu", "ninh", "no", "noi",
    "nong", "nq", "nuoc", "o", "ong", "pacs", "pgd", "pha", "pham", "phan", "phap", "phat",
    "phe", "phep", "phi", "phien", "pho", "phoi", "phong", "phu", "phuc", "phuong", "pkdk",
    "pleiku", "qd", "qua", "quan", "quang", "quay", "quet", "quoc", "quy", "quyen", "quyet",
    "ra", "rang", "rieng", "ro", "rong", "rut", "sa", "sach", "sai", "sam", "san", "sang", "sao",
    "sap", "sat", "se", "si", "sinh", "soat", "soc", "song", "stc", "stt", "su", "sua", "suat",
    "suc", "sung", "suot", "syt", "ta", "tac", "tach", "tam", "tan", "tang", "tao", "tap", "tat",
    "tchc", "te", "ten", "tet", "th", "tha", "thac", "thai", "tham", "than", "thanh", "thao",
    "thap", "thau", "thay", "the", "thh", "thi", "thien", "thiet", "thieu", "thit", "thoai",
    "thoi", "thong", "thu", "thua", "thuan", "thuat", "thuc", "thue", "thuoc", "thuong", "thuy",
    "ti", "tich", "tiem", "tien", "tiep", "tiet", "tieu", "tim", "tin", "tnhh", "to", "toa",
    "toan", "toc", "ton", "tong", "tot", "tr", "tra", "trach", "trai", "tram", "tran", "trang",
    "tranh", "trao", "tre", "tri", "trich", "trien", "triet", "tro", "truc", "trung", "truong",
    "truy", "truyen", "tslcd", "tt", "ttg", "tthc", "ttyqg", "ttyt", "tu", "tuc", "tue", "tuoi",
    "tuong", "tuyen", "tw", "ty", "ung", "uong", "uu", "uy", "vac", "vai", "van", "vat", "vi",
    "viec", "vien", "viet", "vinh", "vinhlong", "vn", "vo", "voi", "von", "vong", "vp", "vt",
    "vu", "vua", "vuc", "vung", "vuong", "vx", "xac", "xay", "xe", "xem", "xep", "xet", "xin",
    "xoa", "xong", "xu", "xuat", "xung", "xuyen", "y", "yen", "yeu", "yt",
)

LEXICON: dict[str, TokenKind] = {
    **{syllable: "FILLER" for syllable in _TASK_SYLLABLES},
    **{word: kind for kind, words in _CLASSES.items() for word in words},
}

# The classes whose words may be left over once a cell is read: the limit, unit and joining
# words of what was read ("trước ngày 30/4", "từ ... đến") and filler.
LEAVABLE: frozenset[TokenKind] = frozenset({"FILLER", "UNIT", "LIMIT", "FROM", "TO", "AND", "EVERY"})
# The words of those classes in the table (not the task's syllables), set aside first: "không
# quá" is a limit, though "không" alone changes the meaning.
LEAVABLE_WORDS: tuple[str, ...] = tuple(
    word for kind, words in _CLASSES.items() if kind in LEAVABLE for word in words)
# The one-syllable words that may be left over once those are set aside, checked one at a time
# after the words that change the meaning ("hoàn" of "hoàn thành" is not one: "hoãn" folds to it).
FILLER_SYLLABLES: frozenset[str] = frozenset(
    word for word, kind in LEXICON.items() if kind in LEAVABLE and " " not in word)
