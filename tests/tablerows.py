"""A small, valid set of table rows: one report with a section, two facts, an indicator, a check and a mirror."""

SHA = "0" * 64


def valid_table_rows() -> dict[str, list[dict]]:
    """One report with a section, two facts, an indicator and a check: every table valid."""
    rid = "r0123456789ab"
    return {
        "reports": [{"report_id": rid, "title": "某区2024年法治政府建设年度报告", "jurisdiction": "某区",
                     "government": "某区", "level": "district", "parent": "某市", "division_code": "440304",
                     "year": 2024,
                     "published_date": "2025-02-12", "publisher": "某区政府办公室", "index_number": "",
                     "url": "http://a.gov.cn/1.html", "raw_sha256": SHA, "capture": "html", "adapter": "trs",
                     "n_chars": 40, "n_facts": 2}],
        "sections": [{"report_id": rid, "section_id": "1", "level": 1, "heading": "一、主要工作", "text": "...",
                      "char_start": 0, "char_end": 40}],
        "facts": [
            {"fact_id": f"{rid}-0001", "report_id": rid, "section_id": "1", "quote": "新收行政复议案件960件",
             "sentence": "全年新收行政复议案件960件。",
             "subject": "新收行政复议案件", "value": 960, "unit": "件", "value_normalized": 960, "unit_base": "件",
             "qualifier": "", "qualifier_raw": "", "kind": "count", "direction": "", "is_target": False,
             "indicator_id": "admin_reconsideration_received", "char_start": 8, "char_end": 12},
            {"fact_id": f"{rid}-0002", "report_id": rid, "section_id": "1", "quote": "接收民意事件53.7万余件",
             "sentence": "接收民意事件53.7万余件，办结率99%。",
             "subject": "民意事件", "value": 53.7, "unit": "万件", "value_normalized": 537000, "unit_base": "件",
             "qualifier": "more_than", "qualifier_raw": "余", "kind": "count", "direction": "", "is_target": False,
             "indicator_id": "", "char_start": 20, "char_end": 26},
        ],
        "indicators": [{"report_id": rid, "division_code": "440304", "year": 2024,
                        "indicator_id": "admin_reconsideration_received", "value": 960, "unit": "件",
                        "fact_id": f"{rid}-0001"}],
        "checks": [{"report_id": rid, "fact_id": "", "check": "catalogue_disagrees", "severity": "info",
                    "message": "..."}],
        "mirrors": [{"report_id": rid, "url": "http://b.gov.cn/2.html", "raw_sha256": "1" * 64,
                     "fetched_at": "2025-03-01T08:00:00Z", "similarity": 0.93}],
    }
