"""What "Trợ giúp" tells a commune officer at each paper of the form check.

Each paper the producer provides has two questions in the form check: whether it is in the
dossier and in order, and — when it is not — what the producer must fix. Each gets its own
help: what the officer looks at, why the paper is in the dossier, and an example answer.
A paper of the rules without a row here fails at import, so none is ever left with none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from handlers.i18n import N_


@dataclass(frozen=True, slots=True)
class PaperHelp:
    """The help of one paper's two questions."""

    check: str  # "is it there and in order?"
    fix: str  # "what must the producer fix or add?"


PAPER_HELP: Mapping[str, PaperHelp] = {
    "registration_form": PaperHelp(
        N_(
            "Look at the registration form (Mẫu 01): the producer's and product's names match "
            "the other papers, the kind of dossier is ticked, and it is signed and stamped "
            "where there is a stamp. It is how the producer asks to be evaluated. Answer 1 "
            "(đủ) if all is there, 2 (thiếu) if not."
        ),
        N_(
            "Say which box or signature is missing on the registration form, so the producer "
            "can fix it without calling you. Example: chưa ký tên, chưa đánh dấu loại hồ sơ."
        ),
    ),
    "subject_report": PaperHelp(
        N_(
            "Look at the self-assessment report (Mẫu 02): it covers the product's criteria, "
            "with figures and the producer's signature. The council reads it before scoring. "
            "Answer 1 (đủ) if it is complete and signed, 2 (thiếu) if a part is missing."
        ),
        N_(
            "Say which part of the self-assessment report is missing or unclear. Example: "
            "thiếu phần thị trường tiêu thụ, chưa ký tên."
        ),
    ),
    "upgrade_changes": PaperHelp(
        N_(
            "For an upgrade: check that the producer lists what changed since the product "
            "was recognised, with a paper for each change. The council scores the upgrade "
            "from it. Answer 1 (đủ) if each change has its proof, 2 (thiếu) if not."
        ),
        N_("Say which change has no proof yet. Example: bao bì mới nhưng chưa có mẫu nhãn mới."),
    ),
    "three_year_report": PaperHelp(
        N_(
            "For a re-evaluation: check that the updated report (Mẫu 02) says what changed "
            "since recognition — raw materials, packaging, tests, market, output, revenue. "
            "Answer 1 (đủ) if each part is updated, 2 (thiếu) if some are not."
        ),
        N_(
            "Say which part of the updated report is missing. Example: chưa có sản lượng và "
            "doanh thu năm 2025."
        ),
    ),
    "dated_papers": PaperHelp(
        N_(
            "Look at the end date of each paper that has one (business registration, "
            "food-safety certificate, test results): the dossier needs the versions still "
            "valid today. Answer 1 (đủ) if none has expired, 2 (thiếu) if one has."
        ),
        N_(
            "Name the paper that has expired and since when. Example: giấy chứng nhận an "
            "toàn thực phẩm hết hạn tháng 3/2026, cần bản mới."
        ),
    ),
    "business_registration": PaperHelp(
        N_(
            "Look at the copy of the business or cooperative registration: the name and "
            "address match the producer's, and the trade covers the product. Only a "
            "registered producer can be evaluated. Answer 1 (đủ) if it matches, 2 (thiếu) "
            "if it is missing or the names differ."
        ),
        N_(
            "Say what is wrong with the registration paper. Example: tên trên giấy đăng ký "
            "khác tên trên phiếu, cần bản sao đúng tên."
        ),
    ),
    "food_safety_certificate": PaperHelp(
        N_(
            "Look at the food-safety certificate of the production place (or its "
            "equivalent): issued to this producer, for this place, still valid. Without it "
            "the product cannot be evaluated. Answer 1 (đủ) if valid, 2 (thiếu) if missing "
            "or expired."
        ),
        N_(
            "Say what the producer must bring about food safety. Example: chưa có giấy "
            "chứng nhận cơ sở đủ điều kiện, liên hệ phòng kinh tế để được hướng dẫn."
        ),
    ),
    "raw_material_origin": PaperHelp(
        N_(
            "Look at the papers on where the raw materials come from: purchase contracts, "
            "a list of supplying households, the growing area. They back the raw-material "
            "share you assess later. Answer 1 (đủ) if they show the source, 2 (thiếu) if "
            "not."
        ),
        N_(
            "Say which source has no paper. Example: thiếu hợp đồng mua mật ong với các hộ "
            "nuôi ong."
        ),
    ),
    "environment_commitment": PaperHelp(
        N_(
            "Look at the environmental protection commitment or plan: it names this "
            "production place and was registered where required. Answer 1 (đủ) if it is "
            "there, 2 (thiếu) if not."
        ),
        N_(
            "Say what is missing on environmental protection. Example: chưa có bản cam kết "
            "bảo vệ môi trường, đề nghị đăng ký tại xã."
        ),
    ),
    "local_labour_list": PaperHelp(
        N_(
            "Look at the list of workers: names, where each lives, insurance where it "
            "applies, signed by the producer. It backs the local-labour numbers you assess "
            "later. Answer 1 (đủ) if it is complete, 2 (thiếu) if not."
        ),
        N_(
            "Say what the workers' list lacks. Example: danh sách chưa ghi nơi thường trú "
            "của từng người."
        ),
    ),
    "accounting_records": PaperHelp(
        N_(
            "Look at the financial reports of the last two years (or the cooperative's "
            "classification result). They earn points, so a missing one costs points but "
            "does not stop the dossier. Answer 1 (đủ) if both years are there, 2 (thiếu) if "
            "not."
        ),
        N_("Say which year or report is missing. Example: thiếu báo cáo tài chính năm 2024."),
    ),
    "intellectual_property": PaperHelp(
        N_(
            "Look at the trademark, geographical indication or other certificate: it names "
            "this producer or product. It earns points. Answer 1 (đủ) if there is one that "
            "fits, 2 (thiếu) if it is only applied for or missing."
        ),
        N_(
            "Say what is missing on the trademark. Example: mới có đơn đăng ký nhãn hiệu, "
            "chưa có văn bằng."
        ),
    ),
    "market_evidence": PaperHelp(
        N_(
            "Look at the sales proof: contracts, invoices, fairs attended. It shows the "
            "product really sells and earns points. Answer 1 (đủ) if there are papers, 2 "
            "(thiếu) if there are none."
        ),
        N_(
            "Say which sales proof to add. Example: cần bản sao hợp đồng hoặc hóa đơn bán "
            "hàng năm nay."
        ),
    ),
    "promotion": PaperHelp(
        N_(
            "Look at how the product is promoted: a website, a page, leaflets, fairs. It "
            "earns points. Answer 1 (đủ) if there is proof, 2 (thiếu) if there is none."
        ),
        N_(
            "Say what proof of promotion to add. Example: gửi địa chỉ trang bán hàng hoặc "
            "ảnh tham gia hội chợ."
        ),
    ),
    "product_story": PaperHelp(
        N_(
            "Look at the product's story (leaflet, pictures, film or recording): it tells "
            "where the product comes from. It earns points and helps you judge local "
            "identity later. Answer 1 (đủ) if it is there, 2 (thiếu) if not."
        ),
        N_(
            "Say what the product's story lacks. Example: câu chuyện chưa nói nguồn gốc "
            "nghề nuôi ong ở xã."
        ),
    ),
    "quality_declaration": PaperHelp(
        N_(
            "Look at the published quality declaration (or company standard, TCCS): it is "
            "for this product and its figures match the test results. Answer 1 (đủ) if it "
            "is there, 2 (thiếu) if missing or for another product."
        ),
        N_(
            "Say what is wrong with the quality declaration. Example: bản công bố là của "
            "sản phẩm khác, cần công bố cho mật ong rừng."
        ),
    ),
    "test_results": PaperHelp(
        N_(
            "Look at the laboratory test results: for this product, against the declared "
            "quality figures, and recent. Without them the product cannot be evaluated. "
            "Answer 1 (đủ) if they fit, 2 (thiếu) if missing or out of date."
        ),
        N_(
            "Say which test is missing or out of date. Example: phiếu kiểm nghiệm đã quá 12 "
            "tháng, cần kiểm nghiệm lại."
        ),
    ),
    "label_packaging": PaperHelp(
        N_(
            "Look at the label and packaging: product name, producer, barcode and "
            "traceability stamp where there is one. Answer 1 (đủ) if the label is complete, "
            "2 (thiếu) if a part is missing."
        ),
        N_("Say what the label lacks. Example: nhãn chưa có mã vạch và hạn sử dụng."),
    ),
    "quality_management": PaperHelp(
        N_(
            "Look at any quality-management certificate (VietGAP, organic, ISO, HACCP): "
            "issued to this producer and still valid. It earns points. Answer 1 (đủ) if "
            "there is one that fits, 2 (thiếu) if not."
        ),
        N_(
            "Say what is missing on quality management. Example: giấy chứng nhận VietGAP "
            "đã hết hạn."
        ),
    ),
    "awards": PaperHelp(
        N_(
            "Look at the awards and certificates of merit the product received, if any: "
            "from a known organisation, for this product. They earn points. Answer 1 (đủ) if "
            "the copies are there, 2 (thiếu) if the producer names an award without a copy."
        ),
        N_("Say which award needs a copy. Example: cần bản sao giấy khen hội chợ tỉnh năm 2025."),
    ),
    "product_samples": PaperHelp(
        N_(
            "Count the product samples against the number the question gives, packaged and "
            "labelled as sold. The council tastes and looks at them. Answer 1 (đủ) if they "
            "are all there, 2 (thiếu) if fewer or without labels."
        ),
        N_("Say what is wrong with the samples. Example: mới có 3 mẫu, các mẫu chưa dán nhãn."),
    ),
}
